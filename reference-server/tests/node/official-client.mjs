// Interop check with the official socket.io-client 4.8.4 (from fixtures/node/node_modules).
// Usage: node official-client.mjs <server url> <polling|websocket|upgrade>
// Prints "OK <mode>" and exits 0 when every step passed; prints the failure and exits 1.
import { createRequire } from "node:module";
import path from "node:path";

const [url, mode] = process.argv.slice(2);
const fixtures = process.env.SIO_FIXTURES_NODE;
const require = createRequire(path.join(fixtures, "package.json"));
const { io } = require("socket.io-client");
const assert = require("node:assert/strict");

const transports = { polling: ["polling"], websocket: ["websocket"], upgrade: ["polling", "websocket"] }[mode];
const opts = (extra = {}) => ({ transports, upgrade: mode === "upgrade", reconnection: false, ...extra });
const once = (emitter, event) => new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
const timeout = setTimeout(() => fail(new Error("timed out")), 10000);
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

  for (const s of sockets) s.disconnect();
  clearTimeout(timeout);
  console.log(`OK ${mode}`);
  process.exit(0);
}

main().catch(fail);
