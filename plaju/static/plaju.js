// Small glue, no inline scripts (CSP). Confirmation prompts come from data-confirm.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
}, true);
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) { event.preventDefault(); window.print(); }
});
