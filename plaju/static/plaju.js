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

// A form sent after the session ended (signed out in another tab, or idle too long) is refused, nothing
// saved, and leads to the sign-in and back to its page (accounts/sessions.py). What was typed into it is
// kept in this tab on every submit and put back there once, only on that way back (the sign-in page's
// "unsent" notice), never into a form sent successfully before.
var DRAFT = "plaju-draft", RESTORE = "plaju-draft-restore";
function draftKey(form) {
  var item = form.querySelector("input[type=hidden][name=item]");
  return (form.getAttribute("action") || form.getAttribute("hx-post") || "") + "|" + (item ? item.value : "");
}
function typedFields(form) {
  return form.querySelectorAll("textarea[name], input[type=text][name], input:not([type])[name]");
}
document.addEventListener("submit", function (event) {
  var form = event.target, fields = {};
  if (form.hasAttribute("data-no-draft")) { return; }
  typedFields(form).forEach(function (field) { if (field.value.trim()) { fields[field.name] = field.value; } });
  try {
    sessionStorage.setItem(DRAFT, JSON.stringify({page: location.pathname + location.search, key: draftKey(form),
                                                  at: Date.now(), fields: fields}));
  } catch (e) { /* storage full or off: nothing to keep */ }
}, true);
document.addEventListener("DOMContentLoaded", function () {
  try {
    if (document.querySelector("#flash [data-flash=unsent]")) { sessionStorage.setItem(RESTORE, "1"); return; }
    if (document.querySelector("form[data-no-draft]")) { return; }  // the sign-in page: not yet
    var draft = JSON.parse(sessionStorage.getItem(DRAFT) || "null");
    var wanted = sessionStorage.getItem(RESTORE);
    sessionStorage.removeItem(RESTORE);
    sessionStorage.removeItem(DRAFT);
    if (!wanted || !draft || draft.page !== location.pathname + location.search || Date.now() - draft.at > 3600000) {
      return;
    }
    var restored = false;
    document.querySelectorAll("form").forEach(function (form) {
      if (draftKey(form) !== draft.key) { return; }
      typedFields(form).forEach(function (field) {
        if (!field.value.trim() && draft.fields[field.name]) { field.value = draft.fields[field.name]; restored = true; }
      });
    });
    var note = document.getElementById("draft-restored");
    if (restored && note) { document.getElementById("flash").appendChild(note.content.cloneNode(true)); }
  } catch (e) { /* storage off: the page as it is */ }
});
