// The Socket.IO 4.8 peer for Chorus's benchmarks: the minimal chat server a Chorus user
// would otherwise write. Same hot-path work as Chorus minus persistence and auth: join a
// room, send with an acknowledgement, broadcast to the room (the sender included).
//
// env: PORT (default 3000; 0 = any free port), ADAPTER=none|postgres, PG_URL (for ADAPTER=postgres),
// PING_INTERVAL_MS / PING_TIMEOUT_MS (Socket.IO defaults 25000 / 20000).
// Prints "listening <port>" once it accepts connections (and, with the adapter, once its
// LISTEN on PostgreSQL is in place, so a broadcast from another process is not missed).
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const PORT = Number(process.env.PORT || 3000);
const ADAPTER = process.env.ADAPTER || "none";
const PG_URL = process.env.PG_URL || "postgres://chorus:chorus@127.0.0.1:5432/chorus_bench";

async function postgresAdapter(io) {
  const pg = require("pg");
  const { createAdapter } = require("@socket.io/postgres-adapter");
  const pool = new pg.Pool({ connectionString: PG_URL });
  pool.on("error", (err) => console.error("postgres pool error:", err.message));
  // The adapter keeps payloads over the NOTIFY limit (8000 bytes) in this table. Processes
  // starting together would race CREATE TABLE IF NOT EXISTS (a unique violation in
  // pg_type): an advisory lock makes them take turns.
  const setup = await pool.connect();
  try {
    await setup.query("BEGIN");
    await setup.query("SELECT pg_advisory_xact_lock(hashtext('socket_io_attachments'))");
    await setup.query(`CREATE TABLE IF NOT EXISTS socket_io_attachments (
        id bigserial UNIQUE,
        created_at timestamptz DEFAULT NOW(),
        payload bytea)`);
    await setup.query("COMMIT");
  } catch (err) {
    await setup.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    setup.release();
  }
  io.adapter(createAdapter(pool, {
    errorHandler: (err) => console.error("postgres adapter error:", err && err.message),
  }));
  await awaitAdapterListening(io.of("/").adapter);
  return pool;
}

// The adapter subscribes (LISTEN) asynchronously and offers no promise for it; its
// pub/sub client sets `client` once its LISTENs are done (@socket.io/postgres-adapter 0.5.0,
// pinned in package.json). Without this wait a first cross-process broadcast races it.
async function awaitAdapterListening(adapter) {
  const pubSub = adapter.client;
  if (!pubSub || !(pubSub.channels instanceof Set) || typeof pubSub.initClient !== "function") {
    throw new Error("postgres adapter: not the 0.5.0 pub/sub client this server knows how to wait for");
  }
  const deadline = Date.now() + 10000;
  while (!pubSub.client) {
    if (Date.now() > deadline) throw new Error("postgres adapter did not LISTEN within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main() {
  const httpServer = http.createServer();
  // WebSocket only: the load generator connects with transport=websocket, so no polling
  // state is kept per socket.
  const io = new Server(httpServer, {
    transports: ["websocket"],
    serveClient: false,
    // Socket.IO's own defaults (25 s / 20 s) unless a test needs pings sooner.
    pingInterval: Number(process.env.PING_INTERVAL_MS || 25000),
    pingTimeout: Number(process.env.PING_TIMEOUT_MS || 20000),
  });

  let pool = null;
  if (ADAPTER === "postgres") {
    pool = await postgresAdapter(io);
  } else if (ADAPTER !== "none") {
    throw new Error(`ADAPTER must be none or postgres, not ${ADAPTER}`);
  }

  io.on("connection", (socket) => {
    socket.on("join", (room, ack) => {
      if (typeof room !== "string") return;
      socket.join(room);
      if (typeof ack === "function") ack("ok");
    });
    socket.on("msg", (msg, ack) => {
      if (!msg || typeof msg.room !== "string") return;
      io.to(msg.room).emit("msg", { room: msg.room, id: msg.id, ts: msg.ts, body: msg.body });
      if (typeof ack === "function") ack({ id: msg.id });
    });
  });

  const shutdown = () => {
    io.close(() => {
      if (pool) pool.end().finally(() => process.exit(0));
      else process.exit(0);
    });
    // Sockets that do not close promptly must not keep a benchmark run waiting.
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);

  // The bound port, so PORT=0 (any free port) tells the caller which one it got.
  httpServer.listen(PORT, () => console.log(`listening ${httpServer.address().port}`));
}

main().catch((err) => {
  console.error("socket.io peer failed to start:", err);
  process.exit(1);
});
