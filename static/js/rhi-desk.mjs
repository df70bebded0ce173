// Turns on GOV.UK Frontend's JavaScript enhancements. Kept in a file: the
// Content-Security-Policy forbids inline scripts.
import { initAll } from '../vendor/govuk-frontend-6.3.0/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
