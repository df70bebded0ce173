// The report's "Print" button (kept in a file: the Content-Security-Policy forbids inline scripts).
const button = document.getElementById('print-report')
if (button) button.addEventListener('click', () => window.print())
