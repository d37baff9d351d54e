// ICE configuration of the calls: /config.json's STUN list and transport policy, with the
// TURN entries (short-lived credentials) of the connection's latest `welcome` or
// `ice-servers`. Every new RTCPeerConnection takes the configuration of its moment, and
// open ones are handed each renewal (their ICE restarts then use live credentials).

/** Shown when relay-only calls are asked for and the server gave no TURN server. */
export const RELAY_MISSING =
  "Calls are relayed only here, and no TURN server is set up.";

export class IceConfig {
  #stun;
  #policy;
  /** This connection's TURN entries; `[]` until a welcome brings some. */
  #turn = [];

  /**
   * `config`: the runtime config; `connection`: its `ice-servers` events renew TURN, and
   * `renewed(rtcConfiguration)` then runs, for the peer connections already open.
   */
  constructor(config, connection, renewed = () => {}) {
    this.#stun = config.iceServers;
    this.#policy = config.iceTransportPolicy;
    connection.on("ice-servers", ({ iceServers }) => {
      this.#turn = iceServers;
      renewed(this.rtcConfiguration());
    });
  }

  /** Relay-only calls are asked for, but there is no TURN server to relay them. */
  get relayMissing() {
    return this.#policy === "relay" && this.#turn.length === 0;
  }

  /** The `RTCConfiguration` for a new peer connection. */
  rtcConfiguration() {
    return { iceServers: [...this.#stun, ...this.#turn], iceTransportPolicy: this.#policy };
  }
}
