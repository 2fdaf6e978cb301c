// The one counting (and optionally throttling) reverse proxy both sides of the benchmark go
// through. It listens on 127.0.0.1 and forwards every request to the upstream named last on
// its control port.
//
// Counted, between a /reset and a /stats on the control port:
//   requests  every request the proxy answered;
//   up        bytes the clients sent on their connections to the proxy (request lines,
//             headers, bodies, chunk framing: the socket's bytesRead);
//   down      bytes the proxy sent back on those connections (status lines, headers, bodies:
//             the socket's bytesWritten);
//   paths     requests by method and path (query strings cut, database names kept), to see
//             what each protocol spends its requests on.
//
// Throttle (/throttle?rate=BYTES_PER_S&latency=MS): one token bucket per direction, shared by
// all connections (one link), holding at most BURST bytes; request heads and bodies pay the
// up bucket, response heads and bodies the down bucket. `latency` is added once per request
// before it is forwarded. rate=0 turns throttling off.
//
// Control port (GET): /upstream?port=P, /reset, /stats, /throttle?rate=R&latency=L, /quit.
// Started as `node proxy.mjs`; prints {"proxy":PORT,"control":PORT} on its first stdout line.

import http from 'node:http';
import { Transform } from 'node:stream';

// Small, so that even a short message pays for its size as on a slow serial link (a bucket of
// an MTU or more would let each small request and answer through at once).
const BURST = 256;

class Bucket {
  constructor() {
    this.rate = 0;
    this.tokens = BURST;
    this.last = performance.now();
    this.queue = Promise.resolve();
  }

  set(rate) {
    this.rate = rate;
    this.tokens = BURST;
    this.last = performance.now();
  }

  refill() {
    const now = performance.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  // Resolves once `n` bytes may pass, in order of asking: at once while the bucket holds them,
  // else after the time the missing bytes take at `rate` (the bucket then starts from empty).
  take(n) {
    if (!this.rate) return Promise.resolve();
    const turn = this.queue.then(async () => {
      this.refill();
      if (this.tokens < n) {
        await new Promise((r) => setTimeout(r, ((n - this.tokens) / this.rate) * 1000));
        this.refill();
      }
      this.tokens -= n;
    });
    this.queue = turn;
    return turn;
  }
}

const up = new Bucket();
const down = new Bucket();
let latencyMs = 0;

function throttled(bucket) {
  return new Transform({
    transform(chunk, _enc, done) {
      bucket.take(chunk.length).then(() => done(null, chunk), done);
    },
  });
}

function headBytes(firstLine, rawHeaders) {
  let n = firstLine.length + 2 + 2;
  for (let i = 0; i < rawHeaders.length; i += 2) n += rawHeaders[i].length + 2 + rawHeaders[i + 1].length + 2;
  return n;
}

// Counting: every client socket since the last reset, with its counters at reset time.
let sockets = new Map();
let requests = 0;
let paths = {};

function reset() {
  const live = new Map();
  for (const [socket] of sockets) {
    if (!socket.destroyed) live.set(socket, { read: socket.bytesRead, written: socket.bytesWritten });
  }
  sockets = live;
  requests = 0;
  paths = {};
}

function stats() {
  let upBytes = 0;
  let downBytes = 0;
  for (const [socket, base] of sockets) {
    upBytes += socket.bytesRead - base.read;
    downBytes += socket.bytesWritten - base.written;
  }
  return { requests, up: upBytes, down: downBytes, paths };
}

let upstreamPort = 0;
// A new upstream connection per request: on loopback it costs well under a millisecond, and no
// request can land on a connection the server is closing as idle (clients keep theirs to the
// proxy alive, which is what the counts see).
const agent = new http.Agent({ keepAlive: false });

const proxy = http.createServer((req, res) => {
  requests += 1;
  const path = `${req.method} ${req.url.split('?')[0].replace(/\/[0-9a-f-]{36}$/, '/{id}')}`;
  paths[path] = (paths[path] || 0) + 1;
  const upHead = headBytes(`${req.method} ${req.url} HTTP/${req.httpVersion}`, req.rawHeaders);
  const forward = async () => {
    if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
    await up.take(upHead);
    const headers = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      if (/^(connection|keep-alive|proxy-connection)$/i.test(name)) continue;
      if (headers[name] === undefined) headers[name] = req.rawHeaders[i + 1];
      else headers[name] = [].concat(headers[name], req.rawHeaders[i + 1]);
    }
    const out = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers, agent },
      (answer) => {
        const raw = [];
        for (let i = 0; i < answer.rawHeaders.length; i += 2) {
          if (/^(connection|keep-alive)$/i.test(answer.rawHeaders[i])) continue;
          raw.push(answer.rawHeaders[i], answer.rawHeaders[i + 1]);
        }
        const downHead = headBytes(`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`, raw);
        down.take(downHead).then(() => {
          res.writeHead(answer.statusCode, answer.statusMessage, raw);
          answer.pipe(throttled(down)).pipe(res);
        });
      },
    );
    out.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${e.message}`);
    });
    req.pipe(throttled(up)).pipe(out);
  };
  forward().catch((e) => {
    res.writeHead(502);
    res.end(String(e));
  });
});
// Longer than any client keeps an idle connection (reqwest 90 s), so none is closed under a
// client between phases.
proxy.keepAliveTimeout = 600_000;
proxy.on('connection', (socket) => sockets.set(socket, { read: 0, written: 0 }));

const control = http.createServer({ keepAliveTimeout: 600_000 }, (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const reply = (body) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  switch (url.pathname) {
    case '/upstream':
      upstreamPort = Number(url.searchParams.get('port'));
      return reply({ upstream: upstreamPort });
    case '/reset':
      reset();
      return reply({ ok: true });
    case '/stats':
      return reply(stats());
    case '/throttle':
      up.set(Number(url.searchParams.get('rate') || 0));
      down.set(Number(url.searchParams.get('rate') || 0));
      latencyMs = Number(url.searchParams.get('latency') || 0);
      return reply({ rate: up.rate, latency: latencyMs });
    case '/quit':
      reply({ ok: true });
      proxy.close();
      control.close();
      setTimeout(() => process.exit(0), 50).unref();
      return undefined;
    default:
      res.writeHead(404);
      return res.end();
  }
});

proxy.listen(0, '127.0.0.1', () => {
  control.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ proxy: proxy.address().port, control: control.address().port })}\n`);
  });
});
