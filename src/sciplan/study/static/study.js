// Annotation page: autosave, time spent, keyboard shortcuts. No dependencies, no network
// besides this site. Without JavaScript the form still works: Save / Submit post it.
"use strict";
(function () {
  const form = document.getElementById("answer");
  if (!form) return;
  const status = document.getElementById("save-status");
  // Not form.action: the submit buttons are named "action" and would shadow it.
  const url = form.getAttribute("action");
  const idleMs = Number(form.dataset.idleMs) || 300000;
  let spent = Number(form.dataset.timeMs) || 0;
  let savedSpent = spent;
  let lastTick = Date.now();
  let lastActivity = Date.now();
  let dirty = false;
  let inFlight = null;
  let again = false;
  let timer = null;
  let submitting = false;

  function show(text, kind) {
    status.textContent = text;
    status.className = "save-status " + (kind || "");
  }
  function clock(iso) {
    const d = iso ? new Date(iso) : new Date();
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  // Time counts only while the page is visible and someone touched it recently.
  function tick() {
    const now = Date.now();
    if (!document.hidden && now - lastActivity < idleMs) spent += now - lastTick;
    lastTick = now;
    form.elements.time_ms.value = String(Math.round(spent));
  }
  setInterval(tick, 1000);
  for (const ev of ["keydown", "mousemove", "mousedown", "wheel", "scroll", "touchstart", "input"]) {
    document.addEventListener(ev, () => { lastActivity = Date.now(); }, { passive: true, capture: true });
  }

  function body(action) {
    tick();
    const data = new FormData(form);
    data.set("action", action);
    return new URLSearchParams(data);
  }

  // One save at a time, so an older save can never land after a newer one.
  function save() {
    if (inFlight) { again = true; return inFlight; }
    clearTimeout(timer);
    dirty = false;
    show("Saving…", "busy");
    inFlight = fetch(url, {
      method: "POST",
      body: body("save"),
      credentials: "same-origin",
      headers: { "X-Autosave": "1", "X-CSRF-Token": form.elements.csrf.value },
    })
      .then(async (res) => {
        const data = await res.json().catch(() => ({}));
        if (!res.ok) throw new Error(data.error || "HTTP " + res.status);
        savedSpent = spent;
        show((data.status === "done" ? "Submitted · saved " : "Saved ") + clock(data.saved_at), "ok");
        return data;
      })
      .catch((err) => {
        dirty = true;
        show("Not saved: " + err.message + " (retrying)", "err");
        timer = setTimeout(save, 5000);
        return null;
      })
      .finally(() => {
        inFlight = null;
        if (again) { again = false; save(); }
      });
    return inFlight;
  }
  function saveSoon(ms) {
    dirty = true;
    show("Unsaved changes…", "busy");
    clearTimeout(timer);
    timer = setTimeout(save, ms);
  }

  form.addEventListener("change", () => saveSoon(300));
  form.addEventListener("input", (e) => { if (e.target.tagName === "TEXTAREA") saveSoon(1500); });
  // Reading counts as work too: record the time now and then even without edits.
  setInterval(() => { if (!inFlight && spent - savedSpent > 30000) save(); }, 30000);

  function flushOnLeave() {
    if (dirty || spent - savedSpent > 2000) {
      navigator.sendBeacon(url, body("save"));
      dirty = false;
      savedSpent = spent;
    }
  }
  document.addEventListener("visibilitychange", () => { if (document.hidden && !submitting) flushOnLeave(); });
  window.addEventListener("pagehide", () => { if (!submitting) flushOnLeave(); });

  // Leaving through our links: finish saving first.
  for (const link of document.querySelectorAll("a[data-nav]")) {
    link.addEventListener("click", async (e) => {
      e.preventDefault();
      if (dirty || inFlight) await save();
      submitting = true;
      window.location.href = link.href;
    });
  }
  // The plain form post does the submit (and picks the next item); wait for a pending save.
  form.addEventListener("submit", async (e) => {
    if (submitting) return;
    e.preventDefault();
    const button = e.submitter;
    clearTimeout(timer);
    if (inFlight) await inFlight;
    tick();
    submitting = true;
    // Later, not now: a submit requested while this submit event is still firing is ignored.
    setTimeout(() => form.requestSubmit(button), 0);
  });

  function press(id) {
    const el = document.getElementById(id);
    if (el) el.click();
  }
  function choose(value) {
    const radio = form.querySelector('input[name="preference"][value="' + value + '"]');
    if (radio && !radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (radio) radio.focus();
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey && e.key === "Enter") { e.preventDefault(); press("submit"); return; }
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    const typing = t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
      (t.tagName === "INPUT" && !["checkbox", "radio"].includes(t.type));
    if (typing) {
      if (e.key === "Escape") t.blur();
      return;
    }
    const actions = {
      "1": () => choose("left"),
      "2": () => choose("right"),
      s: () => save(),
      n: () => press("submit"),
      p: () => press("prev"),
      r: () => form.elements.rationale.focus(),
    };
    const act = actions[e.key];
    if (act) { e.preventDefault(); act(); }
  });
})();
