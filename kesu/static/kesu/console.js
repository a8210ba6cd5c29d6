/* Staff console behaviour: fill the intake form from a looked-up customer; send a form once. */
(function () {
  "use strict";
  var FIELDS = {
    name: "customer_name", phone: "customer_phone", email: "customer_email", level: "customer_level",
    type: "customer_type", organisation: "customer_organisation", address: "customer_address"
  };

  document.addEventListener("click", function (event) {
    var choice = event.target.closest("[data-fill-customer]");
    if (!choice) { return; }
    var form = choice.closest("form");
    Object.keys(FIELDS).forEach(function (key) {
      var input = form.elements[FIELDS[key]];
      var value = choice.dataset[key];
      if (input && value) { input.value = value; }
    });
    var box = document.getElementById("customer-matches");
    if (box) { box.innerHTML = ""; }
    var next = form.elements.product_name || form.elements.description;
    if (next) { next.focus(); }
  });

  // The server already turns a repeated submit into the same case (one-time key); this only
  // spares the user a second wait.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    form.querySelectorAll("[type=submit]").forEach(function (b) { b.disabled = true; });
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });
})();
