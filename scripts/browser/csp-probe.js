// Loaded as a classic script by the CSP pages before the module scripts. Records every
// securitypolicyviolation event and whether `new Function` (eval) is allowed on this page.
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push({
    effectiveDirective: e.effectiveDirective,
    violatedDirective: e.violatedDirective,
    blockedURI: e.blockedURI,
    disposition: e.disposition,
  });
});
window.__evalProbe = (function () {
  try {
    var f = new Function('return 42');
    return { blocked: false, value: f() };
  } catch (e) {
    return { blocked: true, error: String(e && e.name) + ': ' + String(e && e.message) };
  }
})();
