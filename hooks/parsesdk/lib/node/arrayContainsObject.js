"use strict";

Object.defineProperty(exports, "__esModule", {
  value: true
});
exports.default = arrayContainsObject;
var _CoreManager = _interopRequireDefault(require("./CoreManager"));
function _interopRequireDefault(e) {
  return e && e.__esModule ? e : {
    default: e
  };
}
function arrayContainsObject(array, object) {
  if (array.indexOf(object) > -1) {
    return true;
  }
  const ParseObject = _CoreManager.default.getParseObject();
  for (let i = 0; i < array.length; i++) {
    if (array[i] instanceof ParseObject && array[i].className === object.className && array[i]._getId() === object._getId()) {
      return true;
    }
  }
  return false;
}