/**
 * One phoenix Socket for the whole page, shared by every plugin.
 *
 * Tokens: the `system` token is minted first; the gateway draws its `id`, which becomes
 * the connection id. Every other topic gets its own token for that same id, which the
 * gateway only mints when the request proves the id is ours by presenting the newest
 * token issued for it (so nobody else can get a token for our private topic
 * `streaming-<id>`). The gateway checks that a token's `channel` claim matches the
 * joined topic. phoenix.js re-evaluates the join params on every (re)join, so a
 * refused join simply refreshes the topic's token and lets phoenix's own rejoin
 * back-off try again.
 */
import { Socket, type Channel } from "phoenix";
import { ref, type Ref } from "vue";
import type { MessageHandler, RealtimeApi } from "@tangram/api";

interface TokenReply {
  channel: string;
  id: string;
  token: string;
}

interface TopicEntry {
  channel: Channel;
  token: string | null;
  /** Resolves once a token is known and `join()` has been called. */
  ready: Promise<void>;
  onJoin: Set<() => void>;
}

/** Split `"a:b:event"` at its LAST colon: topic `a:b`, event `event`. */
export function splitTopicEvent(topicEvent: string): [string, string] {
  const at = topicEvent.lastIndexOf(":");
  if (at <= 0 || at === topicEvent.length - 1) {
    throw new Error(
      `expected "<topic>:<event>" (e.g. "system:update-node"), got ${JSON.stringify(topicEvent)}`,
    );
  }
  return [topicEvent.slice(0, at), topicEvent.slice(at + 1)];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The gateway refused a token for good (403): retrying the same request cannot help. */
class TokenRefused extends Error {}

export class RealtimeClient implements RealtimeApi {
  connectionId: string | null = null;
  /** The newest token issued for `connectionId`: the proof that the id is ours. */
  private identityToken: string | null = null;
  readonly connected: Ref<boolean> = ref(false);
  private socket: Socket | null = null;
  private readonly topics = new Map<string, TopicEntry>();
  private readonly baseUrl: URL | null;
  /** The HTTP server's token route (`manifest.channel.token_url`), if it has one. */
  private readonly tokenUrl: URL | null;

  constructor(channelUrl: string | null, tokenUrl: string | null = null) {
    this.baseUrl = channelUrl ? new URL(channelUrl, window.location.href) : null;
    this.tokenUrl = tokenUrl ? new URL(tokenUrl, window.location.href) : null;
  }

  get enabled(): boolean {
    return this.baseUrl !== null;
  }

  /**
   * Get the `system` token (its id is the connection id) and open the socket. Waits at
   * most `timeoutMs` so that plugins still load when the gateway is down; in that case a
   * local id is used and token requests keep retrying in the background.
   */
  async start(timeoutMs = 5000): Promise<void> {
    if (!this.baseUrl) return;
    const base = this.baseUrl;
    const first = this.mintToken("system").catch((error: unknown) => {
      console.warn(`[tangram] no token for system: ${String(error)}`);
      return null;
    });
    const winner = await Promise.race([first, sleep(timeoutMs).then(() => null)]);
    if (winner === null) {
      // Only the gateway hands out ids: a local one is never granted this page's private
      // topic, so what is streamed to `streaming-<id>` needs a reload once it is up.
      this.connectionId ??= `local-${Math.random().toString(36).slice(2, 10)}`;
      console.warn(`[tangram] channel at ${base.href} did not answer /token yet; retrying`);
    }
    const wsUrl = new URL(base.href);
    wsUrl.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    // phoenix appends "/websocket" to the endpoint.
    const endpoint = wsUrl.href.replace(/\/+$/, "");
    this.socket = new Socket(endpoint, {});
    this.socket.onOpen(() => {
      this.connected.value = true;
    });
    this.socket.onClose(() => {
      this.connected.value = false;
    });
    this.socket.onError(() => {
      this.connected.value = false;
    });
    this.socket.connect();
    this.ensureTopic("system", winner?.token ?? null);
  }

  subscribe<T = unknown>(topicEvent: string, handler: MessageHandler<T>): () => void {
    const [topic, event] = splitTopicEvent(topicEvent);
    const entry = this.ensureTopic(topic);
    if (!entry) return () => undefined;
    const ref = entry.channel.on(event, handler as (payload: unknown) => void);
    return () => entry.channel.off(event, ref);
  }

  async publish(topicEvent: string, payload: unknown): Promise<void> {
    const [topic, event] = splitTopicEvent(topicEvent);
    const entry = this.ensureTopic(topic);
    if (!entry) throw new Error(`cannot publish ${topicEvent}: the channel is disabled`);
    await entry.ready;
    await new Promise<void>((resolve, reject) => {
      entry.channel
        .push(event, payload as object)
        .receive("ok", () => resolve())
        .receive("error", (reply: unknown) =>
          reject(new Error(`${topicEvent} refused: ${JSON.stringify(reply)}`)),
        )
        .receive("timeout", () => reject(new Error(`${topicEvent}: no reply from the channel`)));
    });
  }

  /** Call `fn` after every successful join (and rejoin) of `topic`. */
  onJoin(topic: string, fn: () => void): () => void {
    const entry = this.ensureTopic(topic);
    if (!entry) return () => undefined;
    entry.onJoin.add(fn);
    return () => entry.onJoin.delete(fn);
  }

  private ensureTopic(topic: string, initialToken: string | null = null): TopicEntry | null {
    const known = this.topics.get(topic);
    if (known) return known;
    if (!this.socket) return null;
    const entry: TopicEntry = {
      // A closure: phoenix calls it again for each rejoin, picking up refreshed tokens.
      channel: this.socket.channel(topic, () => ({ token: entry.token ?? "" })),
      token: initialToken,
      ready: Promise.resolve(),
      onJoin: new Set(),
    };
    this.topics.set(topic, entry);
    entry.ready = (async () => {
      if (entry.token === null) entry.token = (await this.mintToken(topic)).token;
      entry.channel
        .join()
        .receive("ok", () => entry.onJoin.forEach((fn) => fn()))
        .receive("error", (reply: unknown) => {
          console.warn(`[tangram] join of ${topic} refused (${JSON.stringify(reply)}); new token`);
          this.mintToken(topic).then(
            (fresh) => (entry.token = fresh.token),
            (error: unknown) => console.warn(`[tangram] no new token for ${topic}: ${String(error)}`),
          );
        });
    })();
    // Subscribers do not wait for `ready`; a refusal must still be reported, once.
    entry.ready.catch((error: unknown) => console.warn(`[tangram] cannot join ${topic}: ${String(error)}`));
    return entry;
  }

  /**
   * POST /token for our id (proved with `identityToken`; the first request gets a new
   * id), retrying with back-off while the gateway is unreachable. A 403 is final.
   */
  private async mintToken(topic: string): Promise<TokenReply> {
    if (!this.baseUrl) throw new Error("the channel is disabled");
    const url =
      this.tokenUrl ??
      new URL("token", this.baseUrl.href.endsWith("/") ? this.baseUrl : `${this.baseUrl.href}/`);
    for (let attempt = 0; ; attempt++) {
      try {
        const proof = this.identityToken;
        const body = proof ? { channel: topic, id: this.connectionId, token: proof } : { channel: topic };
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        // Through the HTTP server, 401 means the login session ended: show the login page.
        if (response.status === 401 && this.tokenUrl) window.location.reload();
        if (response.status === 403) throw new TokenRefused(`HTTP 403: ${await response.text()}`);
        if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
        const reply = (await response.json()) as TokenReply;
        if (this.connectionId === null) this.connectionId = reply.id;
        // Each fresh token for our id is a fresher proof (an old one stops proving a week
        // after it expired).
        if (reply.id === this.connectionId) this.identityToken = reply.token;
        return reply;
      } catch (error) {
        if (error instanceof TokenRefused) throw error;
        const wait = Math.min(10_000, 500 * 2 ** attempt);
        console.warn(`[tangram] POST ${url.href} for ${topic} failed (${String(error)}); retry in ${wait} ms`);
        await sleep(wait);
      }
    }
  }
}
