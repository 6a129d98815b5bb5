// Interop check with the official socket.io-client 4.8.4 (from fixtures/node/node_modules).
// Usage: node official-client.mjs <server url> <polling|websocket|upgrade>
// Prints "OK <mode>" and exits 0 when every step passed; prints the failure and exits 1.
// Covers events, acks both ways, binary, namespaces, middlewares, a server-side disconnect, every
// `broadcast` target (three connections), reconnection after a network drop (a TCP proxy in this
// process cuts the connections) and connection state recovery on /socket.io-recovery/.
// It must pass against the Node harness (the oracle) before it says anything about another server.
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";

const [url, mode] = process.argv.slice(2);
const fixtures = process.env.SIO_FIXTURES_NODE;
const require = createRequire(path.join(fixtures, "package.json"));
const { io } = require("socket.io-client");
const assert = require("node:assert/strict");

const transports = { polling: ["polling"], websocket: ["websocket"], upgrade: ["polling", "websocket"] }[mode];
const opts = (extra = {}) => ({ transports, upgrade: mode === "upgrade", reconnection: false, ...extra });
const once = (emitter, event) => new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
// The step under way, named in a timeout's message.
let step = "connecting";
const at = (name) => {
  step = name;
};
const timeout = setTimeout(() => fail(new Error(`timed out during: ${step}`)), 10000);
const sockets = [];
function fail(e) {
  console.error(`FAIL ${mode}: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
}

async function connect(nsp, extra) {
  const s = io(url + nsp, opts(extra));
  sockets.push(s);
  const auth = once(s, "auth");
  await once(s, "connect");
  return { s, auth: (await auth)[0] };
}

async function main() {
  // Namespace `/` with auth; events both ways.
  const { s: a, auth } = await connect("/", { auth: { token: "t" } });
  assert.deepEqual(auth, { token: "t" });
  if (mode === "upgrade") {
    if (a.io.engine.transport.name !== "websocket") await once(a.io.engine, "upgrade");
    assert.equal(a.io.engine.transport.name, "websocket");
  } else {
    assert.equal(a.io.engine.transport.name, transports[0]);
  }
  a.emit("message", 1, "2", { 3: [true] });
  assert.deepEqual(await once(a, "message-back"), [1, "2", { 3: [true] }]);

  // Acks client → server, plain and binary.
  const acked = await new Promise((resolve) => a.emit("message-with-ack", "x", { y: 1 }, (...args) => resolve(args)));
  assert.deepEqual(acked, ["x", { y: 1 }]);
  const bin = await a.emitWithAck("message-with-ack", Buffer.from([1, 2, 3]));
  assert.deepEqual([...bin], [1, 2, 3]);

  // Binary event, nested.
  a.emit("message", Buffer.from([4, 5]), { n: Buffer.from([6]) });
  const [b0, b1] = await once(a, "message-back");
  assert.deepEqual([...b0], [4, 5]);
  assert.deepEqual([...b1.n], [6]);

  // Acks server → client.
  a.once("ask", (n, cb) => cb("yes", n));
  a.emit("emit-with-ack", { event: "ask", args: [7] });
  assert.deepEqual(await once(a, "emit-with-ack-result"), [{ args: ["yes", 7] }]);

  // Rooms, with a second client (its own connection).
  const { s: b } = await connect("/", { forceNew: true });
  const rooms = await b.emitWithAck("join", "r1");
  assert.equal(rooms[0], b.id);
  assert.deepEqual(rooms.slice(1), ["r1"]);
  const got = once(b, "news");
  await a.emitWithAck("broadcast", { target: "rooms", rooms: "r1", event: "news", args: ["hi", Buffer.from([9])] });
  const [hi, nine] = await got;
  assert.equal(hi, "hi");
  assert.deepEqual([...nine], [9]);

  // Namespaces on the same connection (multiplexed), middleware acceptance and refusals.
  const { s: custom, auth: customAuth } = await connect("/custom");
  assert.deepEqual(customAuth, {});
  assert.equal(custom.io, a.io, "multiplexed on one manager");
  const { s: admin } = await connect("/admin", { auth: { token: "secret" } });
  const state = await admin.emitWithAck("get-state");
  assert.deepEqual(state.data, { user: "admin" });
  for (const [nsp, message, data] of [["/admin", "Not authorized", { reason: "no token" }], ["/plain", "nope", undefined]]) {
    const s = io(url + nsp, opts());
    sockets.push(s);
    const [err] = await once(s, "connect_error");
    assert.equal(err.message, message);
    assert.deepEqual(err.data, data);
  }

  // Server-side disconnect of one namespace.
  const disconnected = once(custom, "disconnect");
  custom.emit("message", "still");
  await once(custom, "message-back");
  admin.emit("server-disconnect", { close: false });
  assert.equal((await once(admin, "disconnect"))[0], "io server disconnect");
  assert.equal(a.connected, true);
  custom.disconnect();
  await disconnected;

  at("broadcast targets");
  await broadcastTargets();
  at("reconnection");
  await reconnection();
  at("recovery");
  await recovery();

  for (const s of sockets) s.disconnect();
  clearTimeout(timeout);
  console.log(`OK ${mode}`);
  process.exit(0);
}

/** Resolves with the args of the first `event` on `s` whose args satisfy `pred`. */
function waitFor(s, event, pred = () => true) {
  return new Promise((resolve) => {
    const on = (...args) => {
      if (!pred(...args)) return;
      s.off(event, on);
      resolve(args);
    };
    s.on(event, on);
  });
}

/** Binary arguments made comparable with deepEqual. */
const plain = (args) => args.map((v) => (Buffer.isBuffer(v) ? { bin: [...v] } : v));

/** Every event `s` receives, in order. */
function record(s) {
  const log = [];
  s.onAny((event, ...args) => log.push([event, ...plain(args)]));
  return log;
}

// Every `broadcast` target of the contract, each with a socket that must get the event and one
// that must not. Three connections: A in r1, B in r1 and r2, C in r3. "Must not" is proven by a
// marker broadcast to all sent after the case's ack: each socket's packets keep their order on
// its own connection, so once the marker is in, anything the case sent it is in too.
async function broadcastTargets() {
  const peers = [];
  for (let i = 0; i < 3; i++) peers.push((await connect("/", { forceNew: true })).s);
  const [A, B, C] = peers;
  const logs = peers.map(record);
  assert.deepEqual((await A.emitWithAck("join", "r1")).slice(1), ["r1"]);
  assert.deepEqual((await B.emitWithAck("join", ["r1", "r2"])).slice(1), ["r1", "r2"]);
  assert.deepEqual((await C.emitWithAck("join", "r3")).slice(1), ["r3"]);
  let round = 0;
  // What each peer received since the previous marker.
  const sinceMark = async () => {
    round += 1;
    const n = round;
    const arrived = peers.map((s) => waitFor(s, "mark", (m) => m === n));
    await A.emitWithAck("broadcast", { target: "all", event: "mark", args: [n] });
    await Promise.all(arrived);
    return logs.map((log) => {
      const i = log.findIndex(([e, m]) => e === "mark" && m === n);
      return log.splice(0, i + 1).slice(0, -1);
    });
  };
  await sinceMark();
  const bin = Buffer.from([1, 2]);
  const cases = [
    // [name, sender, spec, copies for A, B, C]
    ["self", A, { target: "self" }, [1, 0, 0]],
    ["all", B, { target: "all" }, [1, 1, 1]],
    ["all-except", A, { target: "all", except: "r2" }, [1, 0, 1]],
    ["others", A, { target: "others" }, [0, 1, 1]],
    ["others-except", A, { target: "others", except: ["r3"] }, [0, 1, 0]],
    ["room-with-sender", A, { target: "rooms", rooms: "r1" }, [1, 1, 0]],
    ["room-without-sender", A, { target: "rooms", rooms: "r3" }, [0, 0, 1]],
    ["rooms-others", A, { target: "rooms-others", rooms: "r1" }, [0, 1, 0]],
    // B is in r1 and r2: one copy. Binary, so the attachments go once per recipient too.
    ["several-rooms", C, { target: "rooms", rooms: ["r1", "r2"], args: [bin] }, [1, 1, 0]],
    ["several-rooms-others", B, { target: "rooms-others", rooms: ["r1", "r2"] }, [1, 0, 0]],
    ["rooms-except", A, { target: "rooms", rooms: ["r1", "r2", "r3"], except: "r2" }, [1, 0, 1]],
  ];
  for (const [name, sender, spec, copies] of cases) {
    const args = spec.args ?? [name];
    const reply = await sender.emitWithAck("broadcast", { ...spec, event: "ev", args });
    assert.equal(reply, undefined, `${name}: ack`);
    const seen = await sinceMark();
    const expected = ["ev", ...plain(args)];
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(seen[i], Array(copies[i]).fill(expected), `${name}: what ${"ABC"[i]} received`);
    }
  }
  // An unknown target is refused and sends nothing.
  assert.deepEqual(await A.emitWithAck("broadcast", { target: "nope", event: "ev" }), { error: "unknown target" });
  assert.deepEqual(await sinceMark(), [[], [], []]);
  for (const s of peers) s.disconnect();
}

/**
 * A TCP proxy in front of the server that can play a network outage: `down()` destroys every
 * connection through it and refuses new ones (accepted, then destroyed at once) until `up()`.
 * Neither side gets a close packet or a WebSocket close frame: as when a network drops.
 */
async function startProxy(target) {
  const { hostname, port } = new URL(target);
  const open = new Set();
  let isDown = false;
  const server = net.createServer((client) => {
    if (isDown) return client.destroy();
    const upstream = net.connect(Number(port), hostname);
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      open.add(a);
      a.pipe(b);
      a.on("error", () => {});
      a.on("close", () => {
        open.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    down() {
      isDown = true;
      for (const s of open) s.destroy();
    },
    up() {
      isDown = false;
    },
    close() {
      server.close();
    },
  };
}

// The reason the official client gives when its transport dies under it: the WebSocket closes
// (1006); a polling request fails ("xhr poll error").
const dropReason = mode === "polling" ? "transport error" : "transport close";

// Options of a client that reconnects by itself, quickly and a bounded number of times.
const reconnecting = (extra = {}) =>
  opts({ forceNew: true, reconnection: true, reconnectionDelay: 20, reconnectionDelayMax: 100, randomizationFactor: 0, reconnectionAttempts: 50, ...extra });

// The manager reconnects by itself after the transport drops (a network outage through the
// proxy). The contract has no control that closes the engine connection without a Socket.IO
// DISCONNECT first (`server-disconnect` with `close: true` sends `41` first, which the official
// client reports as "io server disconnect" and does not reconnect from), so the drop is played
// on the network, between client and server.
async function reconnection() {
  const proxy = await startProxy(url);
  const s = io(proxy.url, reconnecting());
  sockets.push(s);
  await once(s, "connect");
  const firstId = s.id;
  if (mode === "upgrade" && s.io.engine.transport.name !== "websocket") await once(s.io.engine, "upgrade");
  s.emit("message", "before");
  assert.deepEqual(await once(s, "message-back"), ["before"]);

  let disconnected = once(s, "disconnect");
  proxy.down();
  assert.equal((await disconnected)[0], dropReason);
  assert.equal(s.active, true, "the manager will reconnect");
  const reconnected = once(s, "connect");
  const attempt = once(s.io, "reconnect");
  proxy.up();
  await reconnected;
  assert.ok((await attempt)[0] >= 1);
  assert.notEqual(s.id, firstId, "a new session without recovery");
  assert.notEqual(s.recovered, true, "sio-main has no recovery");
  if (mode === "upgrade") {
    if (s.io.engine.transport.name !== "websocket") await once(s.io.engine, "upgrade");
    assert.equal(s.io.engine.transport.name, "websocket", "upgraded again");
  }
  s.emit("message", "after");
  assert.deepEqual(await once(s, "message-back"), ["after"]);
  assert.deepEqual((await s.emitWithAck("get-state")).rooms, [s.id]);

  // What the contract offers instead, `server-disconnect` with `close: true`, is a Socket.IO
  // DISCONNECT first: the client reports "io server disconnect" and gives up on its own.
  disconnected = once(s, "disconnect");
  s.emit("server-disconnect", { close: true });
  assert.equal((await disconnected)[0], "io server disconnect");
  assert.equal(s.active, false, "no reconnection after a server-side disconnect");
  proxy.close();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Connection state recovery (`/socket.io-recovery/`, maxDisconnectionDuration 1000 ms). Each
// round drops `r`'s transport without a Socket.IO DISCONNECT, has another client emit to r's
// room and to all while r is away, and checks that r comes back as the same socket with the
// missed events, once each, in order, before anything newer.
async function recovery() {
  const proxy = await startProxy(url);
  const path = "/socket.io-recovery/";
  const r = io(proxy.url, reconnecting({ path }));
  const other = io(url, opts({ forceNew: true, path }));
  sockets.push(r, other);
  const [authArgs] = await Promise.all([once(r, "auth"), once(other, "connect")]);
  assert.equal(typeof authArgs[1], "string", "the auth event carries an offset");
  if (mode === "upgrade" && r.io.engine.transport.name !== "websocket") await once(r.io.engine, "upgrade");
  const id = r.id;
  assert.deepEqual((await r.emitWithAck("join", "rr")).slice(1), ["rr"]);
  r.emit("message", "seen");
  const [seen, seenOffset] = await once(r, "message-back");
  assert.equal(seen, "seen");
  assert.equal(typeof seenOffset, "string");
  const log = record(r);
  // A second namespace on r's connection, `/counted` (its middleware counts its runs into
  // socket.data), with a peer on `other`'s connection to emit to it.
  const counted = r.io.socket("/counted");
  const otherCounted = other.io.socket("/counted");
  // Its `auth` carries the offset it would resume from (over polling Node sends it in the GET
  // after the CONNECT reply's, so `connect` alone is too early to cut).
  await Promise.all([once(counted, "auth"), once(otherCounted, "connect")]);
  const countedId = counted.id;
  const countedLog = record(counted);

  // While r is away: events for its room, for all but `other`, for its own id's room; and some
  // that were never for r: a room it is not in, all except its room.
  const missWhileAway = async (round) => {
    const send = (spec) => other.emitWithAck("broadcast", { event: "missed", ...spec });
    await send({ target: "rooms", rooms: "rr", args: [round, 1] });
    await send({ target: "others", args: [round, 2, Buffer.from([3])] });
    await send({ target: "rooms", rooms: "elsewhere", args: [round, "not for r"] });
    await send({ target: "all", except: "rr", args: [round, "not for r either"] });
    await send({ target: "rooms", rooms: id, args: [round, 4] });
  };
  // After the reconnect: the missed events came first, then a fresh one; offsets on all of them.
  const expectRecovered = async (round) => {
    assert.equal(r.recovered, true, `round ${round}: recovered`);
    assert.equal(r.id, id, `round ${round}: same id`);
    const after = waitFor(r, "after", (n) => n === round);
    await other.emitWithAck("broadcast", { target: "rooms", rooms: "rr", event: "after", args: [round] });
    await after;
    // The missed events, then the connection handler's `auth` (the handshake auth is what the
    // client sent: its pid and last offset), then the fresh event; an offset on each.
    // (`emit-with-ack-result` is round 1's pending ack; when it arrives depends on timing.)
    const events = log.splice(0).filter(([e]) => e !== "emit-with-ack-result");
    for (const e of events) assert.equal(typeof e[e.length - 1], "string", `round ${round}: offset on ${e[0]}`);
    const auth = events.find(([e]) => e === "auth");
    assert.equal(auth?.[1]?.pid, r._pid, `round ${round}: auth carries the pid`);
    assert.deepEqual(
      events.map((e) => (e[0] === "auth" ? ["auth"] : e.slice(0, -1))),
      [["missed", round, 1], ["missed", round, 2, { bin: [3] }], ["missed", round, 4], ["auth"], ["after", round]],
      `round ${round}: what r received after the reconnect`,
    );
    const state = await r.emitWithAck("get-state");
    assert.equal(state.recovered, true);
    assert.deepEqual(state.rooms, [id, "rr"]);
  };

  at("recovery round 1");
  // Round 1: a network outage; the manager reconnects by itself once the network is back, both
  // namespaces of the connection recovered.
  // A server → client ack pending across the drop (r has no handler, so never answers): its
  // timeout fires while r is away or just after it is back, and the server then emits
  // `emit-with-ack-result` to r, a plain emit, kept for recovery: r gets it once either way.
  const ackResults = [];
  r.on("emit-with-ack-result", (...args) => ackResults.push(args));
  await r.emitWithAck("emit-with-ack", { event: "unanswered", timeout: 100 });
  // It came before the reply, with an ack id and thus without an offset.
  const asked = log.splice(0);
  assert.deepEqual(asked.map(([e, ...args]) => [e, args.map((a) => typeof a)]), [["unanswered", ["function"]]]);
  let disconnected = once(r, "disconnect");
  const countedDisconnected = once(counted, "disconnect");
  proxy.down();
  assert.equal((await disconnected)[0], dropReason);
  assert.equal((await countedDisconnected)[0], dropReason);
  await missWhileAway(1);
  await otherCounted.emitWithAck("broadcast", { target: "others", event: "missed-counted", args: [1] });
  // A WebSocket (or a pending long-poll) that dies is noticed by the server at once; a polling
  // session whose client had no request outstanding at the cut is only noticed by the heartbeat
  // (pingInterval 300 + pingTimeout 200 ms). Until the server has closed the old session there
  // is nothing to recover (Node answers a fresh socket), so polling keeps the network down past
  // the heartbeat.
  if (mode === "polling") await sleep(700);
  let reconnected = Promise.all([once(r, "connect"), once(counted, "connect")]);
  proxy.up();
  await reconnected;
  await expectRecovered(1);
  if (ackResults.length === 0) await once(r, "emit-with-ack-result");
  const marker = waitFor(r, "after", (n) => n === "1b");
  await other.emitWithAck("broadcast", { target: "rooms", rooms: "rr", event: "after", args: ["1b"] });
  await marker;
  assert.deepEqual(ackResults.map((a) => a.slice(0, -1)), [[{ error: "operation has timed out" }]]);
  log.splice(0);
  assert.equal(counted.recovered, true, "/counted recovered");
  assert.equal(counted.id, countedId);
  // Middlewares are skipped on recovery: the restored data still says one run.
  const countedState = await counted.emitWithAck("get-state");
  assert.equal(countedState.recovered, true);
  assert.deepEqual(countedState.data, { middlewareRuns: 1 });
  assert.deepEqual(
    countedLog.filter(([e]) => e !== "auth").map((e) => e.slice(0, -1)),
    [["missed-counted", 1]],
    "what /counted received after the reconnect",
  );
  counted.disconnect();

  at("recovery round 2");
  // Round 2: the client closes its engine itself ("forced close", no Socket.IO DISCONNECT: the
  // server closes with "transport close", a recoverable reason). Automatic reconnection is
  // switched off for the round so that the events are certainly missed, then r connects again.
  r.io.reconnection(false);
  disconnected = once(r, "disconnect");
  r.io.engine.close();
  assert.equal((await disconnected)[0], "forced close");
  await missWhileAway(2);
  reconnected = once(r, "connect");
  r.connect();
  await reconnected;
  await expectRecovered(2);
  const droppedAt = Date.now();

  at("recovery after an explicit disconnect");
  // An explicit disconnect is not a recoverable reason and persists nothing, but the adapter
  // keeps the session persisted at the last drop until it expires (restoring does not remove
  // it): the client, which still offers its pid and offset, resumes that session.
  r.disconnect();
  r.connect();
  await once(r, "connect");
  assert.equal(r.recovered, true, "within the window after an explicit disconnect");
  assert.equal(r.id, id);
  // Past maxDisconnectionDuration nothing is restored: a fresh socket. It costs a second of
  // waiting, so only one mode pays for it.
  if (mode === "websocket") {
    at("recovery window expired");
    r.disconnect();
    await sleep(Math.max(0, droppedAt + 1100 - Date.now()));
    r.connect();
    await once(r, "connect");
    assert.equal(r.recovered, false, "not recovered past maxDisconnectionDuration");
    assert.notEqual(r.id, id);
    assert.deepEqual((await r.emitWithAck("get-state")).rooms, [r.id]);
  }
  r.disconnect();
  other.disconnect();
  proxy.close();
}

main().catch(fail);
