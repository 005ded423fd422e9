// End-to-end check of a channel gateway with the official `phoenix` npm client, used the
// way the web app uses it. Driven by tests/channel/test_phoenix_js.py.
//
// Usage: node e2e.mjs <gateway base URL, e.g. http://127.0.0.1:2347> <topic>
// Clients are named ("alice", "bob"), which the gateway only allows with its admin key:
// that comes from $TANGRAM_ADMIN_KEY.
//
// Output: one JSON object per line on stdout, {"step": ..., "ok": true|false, ...}.
// When it prints {"step": "ready_for_broadcast"} the driver PUBLISHes to Redis
// `to:<topic>:news`; nothing else is read from stdin, so the script never blocks on it
// for longer than the step timeout. Exit code 0 only if every step passed.

import { Presence, Socket } from "phoenix";
import WebSocket from "ws";

const [baseUrl, topic] = process.argv.slice(2);
if (!baseUrl || !topic) {
  console.error("usage: node e2e.mjs <base-url> <topic>");
  process.exit(2);
}
const STEP_MS = 5000;
const STORM = 16; // clients of the join storm (step 6)
let failures = 0;

function report(step, ok, extra = {}) {
  if (!ok) failures += 1;
  process.stdout.write(JSON.stringify({ step, ok, ...extra }) + "\n");
}

// Resolve with the first of: the awaited event, or {timeout: true} after STEP_MS.
function within(executor) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ timeout: true }), STEP_MS);
    executor((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

async function token(channel, id) {
  const headers = { "content-type": "application/json" };
  if (id !== undefined) headers["x-tangram-admin-key"] = process.env.TANGRAM_ADMIN_KEY ?? "";
  const response = await fetch(`${baseUrl}/token`, {
    method: "POST",
    headers,
    body: JSON.stringify(id === undefined ? { channel } : { channel, id }),
  });
  if (!response.ok) throw new Error(`POST /token -> ${response.status}`);
  return response.json();
}

// Node 20 has no global WebSocket: pass `ws` as the transport, as the docs suggest.
async function connect(userToken) {
  const socket = new Socket(baseUrl.replace(/^http/, "ws"), {
    params: { userToken },
    transport: WebSocket,
  });
  const opened = within((done) => {
    socket.onOpen(() => done({ open: true }));
    socket.onError((error) => done({ error: String(error?.message ?? error) }));
  });
  socket.connect();
  return { socket, opened: await opened };
}

function join(channel) {
  return within((done) =>
    channel
      .join()
      .receive("ok", (response) => done({ status: "ok", response }))
      .receive("error", (response) => done({ status: "error", response }))
      .receive("timeout", () => done({ status: "timeout" })),
  );
}

function presenceIds(presence) {
  return presence.list((id) => id).sort();
}

// Wait until `presence.onSync` reports exactly `want` (sorted ids).
function presenceBecomes(presence, want) {
  return within((done) => {
    const check = () => {
      const ids = presenceIds(presence);
      if (JSON.stringify(ids) === JSON.stringify(want)) done({ ids });
    };
    presence.onSync(check);
    check();
  });
}

async function main() {
  // 1. Alice: token, socket, channel with a Presence and a listener, join.
  const alice = await token(topic, "alice");
  report("token", alice.id === "alice" && typeof alice.token === "string", { id: alice.id });
  const a = await connect(alice.token);
  report("connect", a.opened.open === true, a.opened);
  if (!a.opened.open) return;

  const channel = a.socket.channel(topic, { token: alice.token });
  const presence = new Presence(channel);
  const firstSync = presenceBecomes(presence, ["alice"]);
  let onNews, onText, onBlob;
  const news = new Promise((resolve) => (onNews = resolve));
  const text = new Promise((resolve) => (onText = resolve));
  const blob = new Promise((resolve) => (onBlob = resolve));
  channel.on("news", (payload) => onNews(payload));
  channel.on("text", (payload) => onText(payload));
  channel.on("blob", (payload) => onBlob(payload));
  const joined = await join(channel);
  report("join", joined.status === "ok", joined);
  if (joined.status !== "ok") return;
  const synced = await firstSync;
  report("presence_one", !synced.timeout, { ids: presenceIds(presence) });

  // 2. Redis -> client: the driver publishes to:<topic>:news (JSON), :text (UTF-8 that
  // is not JSON) and :blob (binary) once it sees this line.
  report("ready_for_broadcast", true, { events: ["news", "text", "blob"] });
  const got = await within((done) => news.then((payload) => done({ payload })));
  report("broadcast", !got.timeout, {
    payload: got.timeout ? null : got.payload,
    // Re-stringified in arrival order: equal to the published bytes only if the gateway
    // kept the key order (no re-serialisation).
    text: got.timeout ? null : JSON.stringify(got.payload),
  });

  const plain = await within((done) => text.then((payload) => done({ payload })));
  report("broadcast_text", typeof plain.payload === "string", {
    type: typeof plain.payload,
    payload: plain.timeout ? null : plain.payload,
  });
  // phoenix.js decodes binary push frames into an ArrayBuffer payload.
  const binary = await within((done) => blob.then((payload) => done({ payload })));
  const isBuffer = binary.payload instanceof ArrayBuffer;
  report("broadcast_binary", isBuffer, {
    type: binary.timeout ? null : Object.prototype.toString.call(binary.payload),
    hex: isBuffer ? Buffer.from(binary.payload).toString("hex") : null,
  });

  // 3. Client -> Redis: push with an acknowledgement.
  const upload = { z: 1, a: { y: [true, null, 2.5], b: "é ü" }, m: "not a token" };
  const pushed = await within((done) =>
    channel
      .push("upload", upload)
      .receive("ok", (response) => done({ status: "ok", response }))
      .receive("error", (response) => done({ status: "error", response }))
      .receive("timeout", () => done({ status: "timeout" })),
  );
  report("push", pushed.status === "ok", { ...pushed, sent: JSON.stringify(upload) });

  // 4. A join with a token minted for another channel must be refused with "error".
  const other = await token(`${topic}-elsewhere`, "alice");
  const restricted = a.socket.channel(`${topic}:restricted`, { token: other.token });
  const refused = await join(restricted);
  restricted.leave(); // stop phoenix.js from retrying the join in the background
  report("refused", refused.status === "error", refused);

  // 5. Presence: Bob joins on his own socket, Alice sees both; Bob leaves, Alice sees one.
  const bobToken = await token(topic, "bob");
  const b = await connect(bobToken.token);
  const bobChannel = b.socket.channel(topic, { token: bobToken.token });
  const bothSynced = presenceBecomes(presence, ["alice", "bob"]);
  const bobJoined = await join(bobChannel);
  const both = await bothSynced;
  report("presence_two", bobJoined.status === "ok" && !both.timeout, {
    join: bobJoined.status,
    ids: presenceIds(presence),
  });
  const aliceAlone = presenceBecomes(presence, ["alice"]);
  const left = await within((done) =>
    bobChannel.leave().receive("ok", () => done({ status: "ok" })),
  );
  const alone = await aliceAlone;
  report("presence_after_leave", left.status === "ok" && !alone.timeout, {
    leave: left.status ?? "timeout",
    ids: presenceIds(presence),
  });

  b.socket.disconnect();

  // 6. A storm: many clients join at once (within one presence window, so their joins
  // reach everyone merged into few diffs), then half of them leave at once. Every
  // member's Presence.list must be exact after each.
  const names = Array.from({ length: STORM }, (_, i) => `s${String(i).padStart(2, "0")}`);
  const storm = await Promise.all(
    names.map(async (name) => {
      const t = await token(topic, name);
      const c = await connect(t.token);
      const ch = c.socket.channel(topic, { token: t.token });
      return { name, socket: c.socket, channel: ch, presence: new Presence(ch) };
    }),
  );
  const everyone = ["alice", ...names].sort();
  const allSee = Promise.all(
    [presence, ...storm.map((s) => s.presence)].map((p) => presenceBecomes(p, everyone)),
  );
  const joins = await Promise.all(storm.map((s) => join(s.channel)));
  const seen = await allSee;
  report("presence_storm_join", joins.every((j) => j.status === "ok") && !seen.some((r) => r.timeout), {
    joined: joins.filter((j) => j.status === "ok").length,
    lists: [presence, ...storm.map((s) => s.presence)].map((p) => presenceIds(p).length),
  });
  const [leaving, staying] = [storm.slice(0, STORM / 2), storm.slice(STORM / 2)];
  const remaining = ["alice", ...staying.map((s) => s.name)].sort();
  const restSee = Promise.all(
    [presence, ...staying.map((s) => s.presence)].map((p) => presenceBecomes(p, remaining)),
  );
  for (const s of leaving) s.socket.disconnect();
  const after = await restSee;
  report("presence_storm_leave", !after.some((r) => r.timeout), {
    lists: [presence, ...staying.map((s) => s.presence)].map((p) => presenceIds(p)),
  });
  for (const s of staying) s.socket.disconnect();

  await within((done) => channel.leave().receive("ok", () => done({ status: "ok" })));
  a.socket.disconnect();
}

try {
  await main();
} catch (error) {
  report("exception", false, { error: String(error?.stack ?? error) });
}
report("done", failures === 0, { failures });
process.exit(failures === 0 ? 0 : 1);
