// Keeps the progress bar of a background episode import up to date without reloading the page.
// Without JavaScript the page refreshes itself every few seconds (a <noscript> refresh) instead.
(function () {
  var box = document.getElementById('import-job')
  if (!box || box.getAttribute('data-state') !== 'running' || !window.fetch) return
  var bar = document.getElementById('import-progress')
  var phase = document.getElementById('import-phase')
  function poll () {
    fetch(box.getAttribute('data-status-url'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) { return response.json() })
      .then(function (job) {
        if (job.state !== 'running') {
          window.location.assign(box.getAttribute('data-page-url'))
          return
        }
        bar.value = job.percent
        bar.textContent = job.percent + '%'
        phase.textContent = job.phase + ': ' + job.percent + '%'
        window.setTimeout(poll, 1000)
      })
      .catch(function () { window.setTimeout(poll, 3000) })
  }
  window.setTimeout(poll, 1000)
})()
