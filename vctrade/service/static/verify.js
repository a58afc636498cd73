// The verifier page's script: sends the pasted or dropped document to POST verify/render and puts the service's
// answer in place. The summary (verdict, checks, the document in a sandboxed frame) is HTML the service made with
// every value escaped; the document itself only ever lives in <iframe sandbox srcdoc>, where no script runs.
"use strict";

(function () {
  const form = document.getElementById("verify-form");
  const text = document.getElementById("document");
  const file = document.getElementById("file");
  const drop = document.getElementById("drop");
  const slot = document.getElementById("result-slot");
  const busy = document.getElementById("busy");
  const button = document.getElementById("verify");

  function showError(message) {
    const section = document.createElement("section");
    section.id = "result";
    section.className = "result";
    const box = document.createElement("div");
    box.id = "request-error";
    box.className = "verdict error";
    box.setAttribute("role", "alert");
    box.textContent = message;
    section.appendChild(box);
    slot.replaceChildren(section);
  }

  async function verify() {
    const value = text.value.trim();
    if (!value) {
      showError("Paste a credential, a presentation, a JWT or an SD-JWT, or drop its file.");
      return;
    }
    const body = { document: value };
    for (const name of ["challenge", "domain"]) {
      const given = document.getElementById(name).value.trim();
      if (given) body[name] = given;
    }
    busy.hidden = false;
    button.disabled = true;
    try {
      const response = await fetch("verify/render", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
      let answer = null;
      try {
        answer = await response.json();
      } catch (_) {
        answer = null;
      }
      if (answer && typeof answer.summary === "string") {
        // The service's fragment: escaped values, the document only inside <iframe sandbox="" srcdoc>.
        slot.innerHTML = answer.summary;
      } else if (answer && typeof answer.error === "string") {
        showError(answer.error);
      } else {
        showError("The service answered " + response.status + " " + response.statusText + ".");
      }
    } catch (error) {
      showError("The service could not be reached: " + error);
    } finally {
      busy.hidden = true;
      button.disabled = false;
      const result = document.getElementById("result");
      if (result) result.scrollIntoView({ block: "start" });
    }
  }

  function base64(bytes) {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  async function load(chosen) {
    if (!chosen) return;
    const bytes = new Uint8Array(await chosen.arrayBuffer());
    try {
      text.value = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
    } catch (_) {
      text.value = base64(bytes); // binary (COSE): the service takes it as base64
    }
    await verify();
  }

  // A link (a QR code's) opens the page with the document verified by the service: show the verdict first.
  const linked = document.getElementById("verdict");
  if (linked) linked.scrollIntoView({ block: "start" });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    verify();
  });
  document.getElementById("clear").addEventListener("click", function () {
    text.value = "";
    file.value = "";
    slot.replaceChildren();
    text.focus();
  });
  file.addEventListener("change", function () {
    load(file.files[0]);
  });
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, function (event) {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, function () {
      drop.classList.remove("over");
    });
  }
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      load(event.dataTransfer.files[0]);
    }
  });
})();
