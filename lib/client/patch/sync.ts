// dist/client-sync-patch.js: the client with synchronized browsing that patches a page where it
// can, served as client.js where the `sync` and `patch` options are both on.
import { startSyncClient } from '../sync/start.js'
import { startPatching } from './start.js'

if (startSyncClient()) startPatching()
