import t from 'tap'
import { displayRedis, withoutPassword } from '../../lib/redis-address.js'

t.test('a Redis is shown without its password', async t => {
  t.equal(displayRedis('redis://user:pw@host:6380/1'), 'redis://user:***@host:6380/1')
  t.equal(displayRedis({ host: 'h', port: 1, password: 'pw' }), 'h:1')
  t.equal(displayRedis({ path: '/run/redis.sock' }), '/run/redis.sock')
})

t.test('an ioredis error keeps its command but not the password in it', async t => {
  const cases: Array<[{ name: string, args: string[] }, string[]]> = [
    [{ name: 'hello', args: ['3', 'AUTH', 'default', 'pw'] }, ['3', 'AUTH', 'default', '***']],
    [{ name: 'auth', args: ['pw'] }, ['***']],
    [{ name: 'auth', args: ['user', 'pw'] }, ['user', '***']],
    [{ name: 'hello', args: ['3'] }, ['3']],
    [{ name: 'get', args: ['auth', 'key'] }, ['auth', 'key']]
  ]
  for (const [command, args] of cases) {
    const err = Object.assign(new Error('WRONGPASS'), { command: { ...command, args: [...command.args] } })
    t.same(withoutPassword(err).command.args, args, `${command.name} ${command.args.join(' ')}`)
  }
  t.equal(withoutPassword(null), null, 'not an error: as it is')
})
