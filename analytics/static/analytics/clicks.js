// Reports clicks on search results to the analytics events API (navigator.sendBeacon, so a
// click that leaves the page is still reported). The results list carries what a report
// needs as data attributes (templates/catalog/_results.html); the listener sits on the
// document, so results swapped in by the search page's script are reported too.
"use strict";

(() => {
  const report = (event) => {
    if (!(event.target instanceof Element)) return;
    const link = event.target.closest("a[href]");
    const card = link && link.closest("li.card");
    const list = card && card.closest("ul[data-search-id]");
    if (!list) return;
    const itemIds = list.dataset.itemIds.split(",").map(Number);
    const index = [...list.children].indexOf(card);
    if (index < 0 || index >= itemIds.length) return;
    const body = JSON.stringify({
      search_id: list.dataset.searchId,
      item_id: itemIds[index],
      position: Number(list.dataset.first) + index,
      kind: "click",
    });
    navigator.sendBeacon(list.dataset.eventsUrl, new Blob([body], { type: "application/json" }));
  };
  document.addEventListener("click", report);
  document.addEventListener("auxclick", (event) => event.button === 1 && report(event));
})();
