/* Every page: an htmx request that fails (a 4xx/5xx answer htmx does not swap, or no answer at all)
   must not fail silently — the message goes to the page's alert region (#htmx-erreur) and stays
   until the next request that succeeds. */
(function () {
  "use strict";
  const MESSAGES = {
    403: "Vous n'avez pas le droit de faire cette action.",
    404: "Introuvable : la page a peut-être changé, rechargez-la.",
  };

  function region() { return document.getElementById("htmx-erreur"); }

  function show(text) {
    const el = region();
    if (!el) { return; }
    el.querySelector("[data-text]").textContent = text;
    el.hidden = false;
  }

  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    const type = xhr.getResponseHeader("Content-Type") || "";
    // The server's own short message (400 for htmx requests is plain text), else one per status.
    const own = type.startsWith("text/plain") ? xhr.responseText.trim() : "";
    const reason = own || MESSAGES[xhr.status] || "Erreur du serveur.";
    show(reason + " Rien n'a été enregistré (code " + xhr.status + ").");
  });

  document.addEventListener("htmx:sendError", function () {
    show("Le serveur ne répond pas : vérifiez la connexion. Rien n'a été enregistré.");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && region()) { region().hidden = true; }
  });

  document.addEventListener("click", function (event) {
    if (event.target.matches && event.target.matches("#htmx-erreur button")) { region().hidden = true; }
  });
})();

/* The dossier plan: « même modalité pour tout le bloc / toute la certification » sets each
   capacité's dropdown (in the bloc, or everywhere) to its option of that type, then goes back to
   « au cas par cas » so that a capacité changed by hand afterwards keeps its choice on saving.
   Without this script, the server applies the same choice when the plan is saved. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    const bulk = event.target;
    if (!bulk.matches || !bulk.matches("select[data-plan-bulk]") || !bulk.value) { return; }
    const scope = bulk.closest("fieldset.plan-bloc") || bulk.closest("form");
    let changed = 0;
    scope.querySelectorAll("select[name^='modalite_']").forEach(function (select) {
      const option = select.querySelector("option[data-type='" + bulk.value + "']");
      if (option && !select.disabled) { select.value = option.value; changed += 1; }
    });
    const label = bulk.options[bulk.selectedIndex].text;
    bulk.value = "";
    // Said beside the dropdown just used (a bloc's, or the certification's), in the référentiel's
    // word (« compétence » for an RNCP title, « capacité » for a CQPM).
    const status = bulk.closest(".plan-bulk").querySelector(".plan-bulk-statut");
    const mot = bulk.dataset.mot || "capacité";
    if (status) { status.textContent = changed + " " + mot + "(s) en « " + label + " ». Enregistrez le plan pour le garder."; }
  });
})();
