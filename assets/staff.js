// Staff pages: the upload progress bar. htmx sends the upload form and reports its progress;
// without JavaScript the form is sent as a plain form and the bar stays hidden.
(function () {
  function bar() { return document.getElementById('upload-progress'); }
  document.addEventListener('htmx:beforeRequest', function (e) {
    var p = bar();
    if (p && e.target && e.target.id === 'upload-form') { p.value = 0; p.hidden = false; }
  });
  document.addEventListener('htmx:xhr:progress', function (e) {
    var p = bar();
    if (p && e.detail && e.detail.lengthComputable) {
      p.value = Math.round(e.detail.loaded / e.detail.total * 100);
    }
  });
  document.addEventListener('htmx:afterRequest', function (e) {
    var p = bar();
    if (p && e.target && e.target.id === 'upload-form') { p.value = 100; p.hidden = true; }
  });
})();
