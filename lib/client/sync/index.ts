// dist/client-sync.js: the client with synchronized browsing (start.ts).
import { startSyncClient } from './start.js'

startSyncClient()
