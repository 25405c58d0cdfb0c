// Node.js net: the documentation's echo server, speaking the seed's protocol ("GOT:" before every
// run of up to 1000 bytes of each 'data' event). Usage: node node_server.js PORT
'use strict';
const net = require('net');
const prefix = Buffer.from('GOT:');

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (data) => {
    const parts = [];
    for (let at = 0; at < data.length; at += 1000) {
      parts.push(prefix, data.subarray(at, Math.min(at + 1000, data.length)));
    }
    socket.write(Buffer.concat(parts));
  });
  socket.on('error', () => socket.destroy());
});
server.listen({ port: Number(process.argv[2]), host: '127.0.0.1', backlog: 4096 });
