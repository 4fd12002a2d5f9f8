// node-redis (v5) over RESP3 against repaird: HELLO 3 with AUTH and SETNAME
// on connect, CLIENT SETINFO, a MULTI/EXEC, records as maps. Run by
// tests/integration/test_it_clients.c, which checks the lines printed.
// Usage: node node_redis.mjs PORT PASSWORD
import { createClient } from 'redis';

const [port, password] = process.argv.slice(2);
const client = createClient({
  socket: { host: '127.0.0.1', port: Number(port), reconnectStrategy: false },
  password,
  RESP: 3,
  name: 'node-test',
});
client.on('error', (e) => { console.log('error', e.message); process.exitCode = 1; });
await client.connect();

const show = (v) => (v instanceof Map ? Object.fromEntries(v) : v);
console.log('ping', await client.ping());
console.log('name', await client.sendCommand(['CLIENT', 'GETNAME']));
const info = await client.sendCommand(['CLIENT', 'INFO']);
console.log('resp', /resp=3/.test(info), 'lib', /lib-name=node-redis/.test(info));
await client.sendCommand(['MEMBER.SET', '151335489', 'TIER', 'platinum', 'COUNTRY', 'DE']);
const [opened, member] = await client.multi()
  .addCommand(['TICKET.OPEN', 'CENTRE', 'DE-PSC-TEST', 'PRODUCT', 'EOS R5', 'SERIAL', 'NODE0001',
               'SERVICE', 'repair', 'MEMBER', '151335489', 'REGISTERED', 'yes'])
  .addCommand(['MEMBER.GET', '151335489'])
  .exec();
const t = show(opened);
console.log('map', typeof t === 'object' && !Array.isArray(t));
console.log('opened', t.state, 'fast_track', t.fast_track, 'member', t.member);
console.log('member tier', show(member).tier);
const moved = show(await client.sendCommand(['TICKET.MOVE', String(t.id), 'received']));
console.log('moved', moved.state);
const got = show(await client.sendCommand(['TICKET.GET', String(t.id)]));
console.log('got', got.id === t.id, got.state, got.serial, 'deadline', got.deadline !== '');
console.log('done');
await client.quit();
