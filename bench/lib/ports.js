'use strict';
const net = require('node:net');

/**
 * Asks the OS for an unused port by listening on port 0 and closing again. The app takes
 * its port from PORT and cannot report one it picked itself, so this small race (another
 * process grabbing the port in between) is accepted.
 */
function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

module.exports = { freePort };
