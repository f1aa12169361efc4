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
// An error an earlier action put above the page (templates/errors/_alert.html) is out of date once the
// user acts again: a new step's success must not show under the old "nothing was saved".
document.addEventListener("htmx:beforeRequest", function (event) {
  var config = event.detail && event.detail.requestConfig;
  if (config && config.verb && config.verb.toLowerCase() !== "get") {
    document.querySelectorAll("#flash > .alert[data-status]").forEach(function (alert) { alert.remove(); });
  }
});
// A step refused beside its form: the swapped part may have grown or shrunk above it, and a phone's page
// then showed something else. Bring the refusal, next to what is to be put right, into view.
document.addEventListener("htmx:afterSettle", function (event) {
  var refusal = event.detail && event.detail.elt && event.detail.elt.querySelector
    ? event.detail.elt.querySelector("[data-testid=step-error]") : null;
  if (refusal && refusal.offsetParent !== null) { refusal.scrollIntoView({block: "center"}); }
});
