// dist/client-patch.js: the client that patches a page where it can (start.ts), served as
// client.js where the `patch` option is on.
import { startClient } from '../client.js'
import { startPatching } from './start.js'

if (startClient()) startPatching()
