// The demo page's widget settings (docs/contracts.md, "Web app"). A clinic's own site can put
// the same object in an inline <script> before the widget's tag.
window.ClinicChat = {
  title: "Chat with us",
  primaryColor: "#0b5d4b",
  position: "right",
  greetingDelayMs: 3000,
};
