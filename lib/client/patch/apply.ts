// Applies a new version of the page, which compare.ts found patchable: the title, the stylesheets
// (head.ts), then the body, morphed by idiomorph so that every element that stays is the same
// element (its listeners, focus, selection and scroll kept).
import { Idiomorph } from 'idiomorph'
import { swapSheets } from './head.js'

export function applyPage (next: Document): void {
  if (document.title !== next.title) document.title = next.title
  swapSheets(next)
  Idiomorph.morph(document.body, next.body, {
    morphStyle: 'outerHTML',
    restoreFocus: true,
    head: { style: 'none' },
    callbacks: {
      // The scripts are the same (compare.ts) and have run: keep them where they are, never add one.
      beforeNodeAdded: node => node.nodeName !== 'SCRIPT',
      beforeNodeRemoved: node => node.nodeName !== 'SCRIPT',
      // What the user typed, ticked or chose is theirs, as a reload would have restored it.
      beforeAttributeUpdated: (name, el) => !(['value', 'checked', 'selected'].includes(name) && isChanged(el))
    }
  })
}

/** Whether the user changed a form field (or a choice of its `<select>`) from what its markup says. */
function isChanged (el: Element): boolean {
  if (el instanceof HTMLInputElement) return el.type === 'checkbox' || el.type === 'radio' ? el.checked !== el.defaultChecked : el.value !== el.defaultValue
  if (el instanceof HTMLTextAreaElement) return el.value !== el.defaultValue
  if (el instanceof HTMLOptionElement) return [...el.parentElement?.closest('select')?.options ?? [el]].some(option => option.selected !== option.defaultSelected)
  return false
}
