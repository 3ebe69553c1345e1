// Following a link in the error summary: focus the field and bring its whole label into
// view, as the GOV.UK Design System's error summary does. Without this script the link
// still leads to the field, and site.css keeps room above it (scroll-margin-top); but a
// long label, hint and error can be taller than that room.
document.addEventListener("click", (event) => {
  const link = event.target.closest(".error-summary a[href^='#']");
  if (!link) return;
  const field = document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  const label = document.querySelector(`label[for='${CSS.escape(field.id)}']`);
  const top = field.closest(".form-field") || label || field;
  event.preventDefault();
  top.scrollIntoView({ block: "start" });
  field.focus({ preventScroll: true });
  history.replaceState(null, "", link.getAttribute("href"));
});
