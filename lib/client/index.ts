// dist/client.js: the client.
import { startClient } from './client.js'

startClient()
