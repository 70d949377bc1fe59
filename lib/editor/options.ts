// The editor's option.
import { flag } from '../option.js'

export const EDITOR_OPTIONS = {
  /** Places in errors are links that open the editor (`{path}/open-in-editor`). */
  openInEditor: flag('openInEditor', true)
}
