// The demo's echo service: answers every request with what it received, so you can see which
// headers the front door, IAP or the gateway passed on. Runs under authplane's supervisor (PORT set).
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const email = req.headers['x-goog-authenticated-user-email'];
    const wantsHtml = (req.headers.accept ?? '').includes('text/html');
    const info = {
      service: process.env.K_SERVICE,
      revision: process.env.K_REVISION,
      method: req.method,
      url: req.url,
      headers: req.headers,
      body,
    };
    if (wantsHtml) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>${process.env.K_SERVICE}</title><h1>Hello${email ? `, ${String(email).replace(/^accounts\.google\.com:/, '').replace(/[<>&]/g, '')}` : ''}</h1><pre>${JSON.stringify(info, null, 2).replace(/[<>&]/g, '')}</pre>`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(info));
  });
}).listen(port, '127.0.0.1', () => console.log(`echo listening on ${port}`));
