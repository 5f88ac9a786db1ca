"use strict";

Object.defineProperty(exports, "__esModule", {
  value: true
});
exports.default = isRevocableSession;
function isRevocableSession(token) {
  return token.indexOf('r:') > -1;
}