// Keeps a draft of the interview page being typed, so closing the window, the laptop dying or
// the session locking loses at most the last few seconds. The page still saves on Continue
// without this script; this only adds the background save.
(function () {
  'use strict'
  const form = document.getElementById('interview-form')
  if (!form || !form.dataset.autosaveUrl) return
  const url = form.dataset.autosaveUrl
  const status = document.getElementById('autosave-status')
  const EVERY_MS = 2000
  let dirty = false
  let submitting = false
  let stopped = false
  let busy = false
  let timer = null

  function show (text) {
    if (status && status.textContent !== text) status.textContent = text
  }

  function clockTime () {
    const d = new Date()
    return d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
  }

  async function save () {
    timer = null
    if (!dirty || stopped || submitting) return
    if (busy) { schedule(); return }
    dirty = false
    busy = true
    try {
      const response = await fetch(url, {
        method: 'POST', body: new FormData(form), credentials: 'same-origin', redirect: 'manual'
      })
      if (response.status === 204) {
        show('Draft saved at ' + clockTime() + '.')
      } else {
        // Signed out, locked or refused: what is typed stays on the page and is kept when you continue.
        stopped = true
        show('Draft not saved in the background. Press Continue to save your answers.')
      }
    } catch (e) {
      dirty = true
      show('Draft not saved yet. Your answers are still on this page.')
    } finally {
      busy = false
    }
  }

  function schedule () {
    if (!timer) timer = window.setTimeout(save, EVERY_MS)
  }

  function changed () {
    dirty = true
    schedule()
  }

  function saveNow () {
    // The page is being hidden or closed: send what is typed, even as the page goes away.
    if (!dirty || stopped || submitting) return
    if (navigator.sendBeacon && navigator.sendBeacon(url, new FormData(form))) dirty = false
  }

  form.addEventListener('input', changed)
  form.addEventListener('change', changed)
  form.addEventListener('submit', function () { submitting = true })
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') saveNow()
  })
  window.addEventListener('pagehide', saveNow)
  // Lock (in the header): keep what is typed as a draft first, so unlocking brings back this page
  // with the answers. Without this script the page still comes back; Continue saves as ever.
  const lockForm = document.getElementById('lock-form')
  if (lockForm) {
    lockForm.addEventListener('submit', async function (event) {
      event.preventDefault()
      submitting = true
      try {
        await fetch(url, { method: 'POST', body: new FormData(form), credentials: 'same-origin', redirect: 'manual' })
      } catch (e) { /* locking matters more than the draft */ }
      stopped = true
      lockForm.submit()
    }, { once: true })
  }
  show('Your answers are saved as you type and when you continue.')
})()
