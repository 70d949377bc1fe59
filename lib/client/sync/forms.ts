// Forms, mirrored: text typed, options chosen, boxes ticked and forms submitted. Values are set
// through the elements' own setters and announced with the events the page listens for, so a
// framework's controlled inputs (React's among them) take them as typed.
import type { SyncEvent } from '../../../types/index.js'
import { isPrivate } from './private.js'
import { elementAt, selectorOf } from './selector.js'
import type { Tab } from './tab.js'

type FormEvent = Extract<SyncEvent, { kind: 'input' | 'select' | 'toggle' | 'submit' }>

/** Starts sending this tab's form input; returns what applies another tab's. */
export function mirrorForms (tab: Tab): (event: FormEvent) => void {
  const heard = (event: Event): Element | null => {
    const target = event.target
    return event.isTrusted && !tab.isApplying && target instanceof Element && !isPrivate(target) ? target : null
  }
  document.addEventListener('input', event => {
    const target = heard(event)
    if (target instanceof HTMLSelectElement) {
      tab.send({ kind: 'select', target: selectorOf(target), values: [...target.selectedOptions].map(option => option.value) })
    } else if ((target instanceof HTMLInputElement && !isToggle(target)) || target instanceof HTMLTextAreaElement) {
      tab.send({ kind: 'input', target: selectorOf(target), value: target.value })
    }
  }, true)
  document.addEventListener('change', event => {
    const target = heard(event)
    // A radio button that goes off does so because another went on: that one is sent.
    if (target instanceof HTMLInputElement && isToggle(target) && (target.type === 'checkbox' || target.checked)) {
      tab.send({ kind: 'toggle', target: selectorOf(target), checked: target.checked })
    }
  }, true)
  document.addEventListener('submit', event => {
    const target = heard(event)
    if (target instanceof HTMLFormElement && isSentHere(target, event.submitter)) tab.send({ kind: 'submit', target: selectorOf(target) })
  }, true)

  return event => {
    const target = elementAt(event.target)
    if (target === null || isPrivate(target)) return
    if (event.kind === 'submit') {
      if (target instanceof HTMLFormElement && isSentHere(target, null)) target.requestSubmit()
      return
    }
    if (event.kind === 'toggle') {
      // A click, as the user's: it fires input and change, and a framework (React) hears checkboxes on click.
      if (target instanceof HTMLInputElement && isToggle(target) && target.checked !== event.checked) target.click()
      return
    }
    if (event.kind === 'input' && ((target instanceof HTMLInputElement && !isToggle(target)) || target instanceof HTMLTextAreaElement)) {
      setValue(target, event.value)
    } else if (event.kind === 'select' && target instanceof HTMLSelectElement) {
      for (const option of target.options) option.selected = event.values.includes(option.value)
    } else {
      return // the element is something else in this tab
    }
    target.dispatchEvent(new Event('input', { bubbles: true }))
    target.dispatchEvent(new Event('change', { bubbles: true }))
  }
}

/**
 * Whether submitting `form` (by `submitter`, whose `formaction` wins) sends its values to this
 * origin: this tab's values go nowhere else. The form's `action` is read through the prototype's
 * getter: a field named "action" would shadow it.
 */
function isSentHere (form: HTMLFormElement, submitter: HTMLElement | null): boolean {
  const action = submitter?.hasAttribute('formaction') === true
    ? (submitter as HTMLButtonElement).formAction
    : Object.getOwnPropertyDescriptor(HTMLFormElement.prototype, 'action')!.get!.call(form) as string
  try {
    return new URL(action).origin === location.origin
  } catch {
    return false
  }
}

function isToggle (input: HTMLInputElement): boolean {
  return input.type === 'checkbox' || input.type === 'radio'
}

/**
 * Sets `value` through the prototype's setter: a framework that wraps the
 * element's own (React does, to tell its own writes from the user's) sees a user's write.
 */
function setValue (element: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(element) as object, 'value')!.set!.call(element, value)
}
