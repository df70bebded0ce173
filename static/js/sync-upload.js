// Shows how far an upload has gone on the Send and receive page, for large files.
// Without JavaScript the form posts normally and the page shows the result just the same.
const form = document.querySelector('form[data-sync-upload]')

if (form && window.FormData && window.XMLHttpRequest) {
  const box = form.querySelector('[data-sync-progress]')
  const bar = form.querySelector('progress')
  const words = form.querySelector('[data-sync-progress-text]')
  const button = form.querySelector('button, input[type=submit]')

  form.addEventListener('submit', (event) => {
    const input = form.querySelector('input[type=file]')
    if (!input || !input.files || input.files.length === 0) {
      return // let the server say what to do
    }
    event.preventDefault()
    const request = new XMLHttpRequest()
    request.open('POST', form.action)
    request.setRequestHeader('X-Sync-Upload', '1')
    request.responseType = 'json'
    box.hidden = false
    if (button) button.disabled = true
    request.upload.addEventListener('progress', (progress) => {
      if (progress.lengthComputable) {
        const percent = Math.round((progress.loaded / progress.total) * 100)
        bar.value = percent
        words.textContent = `Uploading: ${percent}%`
      }
    })
    request.upload.addEventListener('load', () => {
      bar.removeAttribute('value') // an indeterminate bar while the file is checked
      words.textContent = 'Checking the signature and importing. This can take a few seconds for a large file.'
    })
    request.addEventListener('load', () => {
      const next = request.response && request.response.next
      window.location.assign(next || window.location.href)
    })
    request.addEventListener('error', () => {
      words.textContent = 'The upload did not finish. Check the file and try again.'
      if (button) button.disabled = false
    })
    request.send(new FormData(form))
  })
}
