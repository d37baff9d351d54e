// The places the browser tests put people at: a few hundred metres to a few kilometres
// apart in Paris, and one about 10 m from another (people a map must tell apart).

export const PARIS = { latitude: 48.8566, longitude: 2.3522 };
/** About 10 m north of PARIS. */
export const NEXT_DOOR = { latitude: 48.85669, longitude: 2.3522 };
export const LOUVRE = { latitude: 48.8606, longitude: 2.3376 };
export const BASTILLE = { latitude: 48.8532, longitude: 2.3692 };
