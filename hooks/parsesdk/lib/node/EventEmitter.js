"use strict";

Object.defineProperty(exports, "__esModule", {
  value: true
});
exports.default = void 0;
/**
 * This is a simple wrapper to unify EventEmitter implementations across platforms.
 */

let EventEmitter;
try {
  EventEmitter = require('events').EventEmitter;
} catch (_) {
  // EventEmitter unavailable
}
var _default = exports.default = EventEmitter;