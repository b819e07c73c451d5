/* gridgov: shrink a camera photo on the phone before it is sent (at most 1600 px, JPEG).
 * A phone's 4000 px photo is 3-8 MB; on a village connection that is minutes, resized it
 * is a few hundred kB. createImageBitmap decodes without an <img> (the page's CSP allows
 * no blob: images); older browsers read the file as a data: URL instead. */
(function () {
  "use strict";
  var MAX_EDGE = 1600;
  var QUALITY = 0.85;

  function decode(file) {
    if (window.createImageBitmap) {
      return window.createImageBitmap(file, { imageOrientation: "from-image" })
        .catch(function () { return window.createImageBitmap(file); });
    }
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.addEventListener("load", function () {
        var img = new Image();
        img.addEventListener("load", function () { resolve(img); });
        img.addEventListener("error", function () { reject(new Error("decode")); });
        img.src = reader.result;
      });
      reader.addEventListener("error", function () { reject(new Error("read")); });
      reader.readAsDataURL(file);
    });
  }

  /* Resolve to {blob, preview}: the JPEG to upload and a small data: URL to show. */
  function resize(file, maxEdge) {
    var edge = maxEdge || MAX_EDGE;
    return decode(file).then(function (image) {
      var w = image.width, h = image.height;
      var scale = Math.min(1, edge / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";  /* a transparent PNG becomes white, as JPEG has no alpha */
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) { image.close(); }
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (!blob) { reject(new Error("encode")); return; }
          var thumb = document.createElement("canvas");
          var t = Math.min(1, 320 / Math.max(canvas.width, canvas.height));
          thumb.width = Math.max(1, Math.round(canvas.width * t));
          thumb.height = Math.max(1, Math.round(canvas.height * t));
          thumb.getContext("2d").drawImage(canvas, 0, 0, thumb.width, thumb.height);
          resolve({ blob: blob, preview: thumb.toDataURL("image/jpeg", 0.7),
                    width: canvas.width, height: canvas.height });
        }, "image/jpeg", QUALITY);
      });
    });
  }

  window.gridgovPhoto = { resize: resize, MAX_EDGE: MAX_EDGE };
})();
