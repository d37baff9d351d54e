// What a page's RTCPeerConnections report: an init script that keeps every one the app
// makes, and their getStats() read back (frames decoded, the selected candidate pair).

/** Keeps every RTCPeerConnection the app makes in `window.__peerConnections`, for getStats. */
export function recordPeerConnections() {
  const Native = window.RTCPeerConnection;
  window.__peerConnections = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__peerConnections.push(this);
    }
  };
}

/** Video frames decoded so far on `user`'s page, over every peer connection it opened. */
export async function framesDecoded(user) {
  return user.page.evaluate(async () => {
    let total = 0;
    for (const pc of window.__peerConnections) {
      if (pc.connectionState === "closed") continue;
      for (const report of (await pc.getStats()).values()) {
        if (report.type === "inbound-rtp" && report.kind === "video") total += report.framesDecoded ?? 0;
      }
    }
    return total;
  });
}

/**
 * Each open peer connection of `user`'s page: its configuration's transport policy and
 * ICE URLs, and the candidate types (`host`, `srflx`, `relay`...) of its selected pair.
 */
export async function selectedPairs(user) {
  return user.page.evaluate(async () => {
    const pairs = [];
    for (const pc of window.__peerConnections) {
      if (pc.connectionState === "closed") continue;
      const reports = new Map([...(await pc.getStats()).values()].map((r) => [r.id, r]));
      const transport = [...reports.values()].find((r) => r.type === "transport" && r.selectedCandidatePairId);
      const pair = reports.get(transport?.selectedCandidatePairId);
      const { iceTransportPolicy, iceServers } = pc.getConfiguration();
      pairs.push({
        policy: iceTransportPolicy,
        urls: iceServers.flatMap((s) => [].concat(s.urls)),
        local: reports.get(pair?.localCandidateId)?.candidateType ?? null,
        remote: reports.get(pair?.remoteCandidateId)?.candidateType ?? null,
      });
    }
    return pairs;
  });
}
