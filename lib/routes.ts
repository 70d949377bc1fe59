// STUB: replaced by the channel routes implementation.
import type { FastifyPluginAsync } from 'fastify'
import type { LiveReloadStats } from '../types/index.js'
import type { Hub } from './hub.js'
import type { ResolvedOptions } from './options.js'

export interface ChannelRoutesOptions {
  options: ResolvedOptions
  hub: Hub
  stats: () => LiveReloadStats
}

export const channelRoutes: FastifyPluginAsync<ChannelRoutesOptions> = async () => {}
