// Counts the button's clicks: a click in one window counts in every window.
const clicks = document.querySelector('#clicks')
document.querySelector('#more').addEventListener('click', () => { clicks.textContent = String(Number(clicks.textContent) + 1) })
