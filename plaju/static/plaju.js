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
// saved, and leads to the sign-in and back to its page (accounts/sessions.py). What was filled into it is
// kept in this tab on every submit and put back there once, only on that way back (the sign-in page's
// "unsent" notice) and only for the same person: never into a form sent successfully before, never under
// another official's name.
var DRAFT = "plaju-draft", RESTORE = "plaju-draft-restore";
function draftKey(form) {
  var item = form.querySelector("input[type=hidden][name=item]");
  return (form.getAttribute("action") || form.getAttribute("hx-post") || "") + "|" + (item ? item.value : "");
}
function fillable(form) {
  return form.querySelectorAll("textarea[name], select[name], input[name]:not([type=hidden]):not([type=password])" +
                               ":not([type=file]):not([type=submit]):not([type=button])");
}
function ticked(field) { return field.type === "checkbox" || field.type === "radio"; }
document.addEventListener("submit", function (event) {
  var form = event.target, fields = {}, ticks = [];
  if (form.hasAttribute("data-no-draft")) { return; }
  fillable(form).forEach(function (field) {
    if (ticked(field)) { if (field.checked) { ticks.push(field.name + "=" + field.value); } }
    else if (field.value.trim()) { fields[field.name] = field.value; }
  });
  try {
    sessionStorage.setItem(DRAFT, JSON.stringify({page: location.pathname + location.search, key: draftKey(form),
      user: document.body.getAttribute("data-user"), at: Date.now(), fields: fields, ticks: ticks}));
  } catch (e) { /* storage full or off: nothing to keep */ }
}, true);
var pendingDraft = null;  // put back again into fields a choice brings (htmx), until a few seconds pass
function restoreDraft(root) {
  var draft = pendingDraft, restored = false;
  if (!draft || Date.now() - draft.shown > 10000) { return false; }
  root.querySelectorAll("form").forEach(function (form) {
    if (draftKey(form) !== draft.key) { return; }
    fillable(form).forEach(function (field) {
      if (ticked(field)) {
        if (!field.checked && draft.ticks.indexOf(field.name + "=" + field.value) >= 0) { field.checked = true; restored = true; }
      } else if (draft.fields[field.name] !== undefined && field.value !== draft.fields[field.name] &&
                 (field.tagName === "SELECT" || !field.value.trim())) {
        field.value = draft.fields[field.name];
        restored = true;
        // a choice that brings its own fields (the intake's document type) brings them now
        if (field.tagName === "SELECT") { field.dispatchEvent(new Event("change", {bubbles: true})); }
      } else { return; }
      var folded = field.closest("details");  // a reason typed into a step's folded form: shown again
      if (folded) { folded.open = true; }
    });
  });
  return restored;
}
document.addEventListener("DOMContentLoaded", function () {
  try {
    if (document.querySelector("#flash [data-flash=unsent]")) { sessionStorage.setItem(RESTORE, "1"); return; }
    if (document.querySelector("form[data-no-draft]")) { return; }  // the sign-in page: not yet
    var draft = JSON.parse(sessionStorage.getItem(DRAFT) || "null");
    var wanted = sessionStorage.getItem(RESTORE);
    sessionStorage.removeItem(RESTORE);
    sessionStorage.removeItem(DRAFT);
    if (!wanted || !draft || draft.page !== location.pathname + location.search || Date.now() - draft.at > 3600000 ||
        !draft.user || draft.user !== document.body.getAttribute("data-user")) {
      return;
    }
    draft.shown = Date.now();
    pendingDraft = draft;
    var note = document.getElementById("draft-restored");
    if (restoreDraft(document) && note) { document.getElementById("flash").appendChild(note.content.cloneNode(true)); }
  } catch (e) { /* storage off: the page as it is */ }
});
document.addEventListener("htmx:afterSettle", function () {
  if (pendingDraft) { restoreDraft(document); }
});
