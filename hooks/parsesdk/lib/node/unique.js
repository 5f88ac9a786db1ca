"use strict";

Object.defineProperty(exports, "__esModule", {
  value: true
});
exports.default = unique;
var _arrayContainsObject = _interopRequireDefault(require("./arrayContainsObject"));
var _CoreManager = _interopRequireDefault(require("./CoreManager"));
function _interopRequireDefault(e) {
  return e && e.__esModule ? e : {
    default: e
  };
}
function unique(arr) {
  const uniques = [];
  arr.forEach(value => {
    const ParseObject = _CoreManager.default.getParseObject();
    if (value instanceof ParseObject) {
      if (!(0, _arrayContainsObject.default)(uniques, value)) {
        uniques.push(value);
      }
    } else {
      if (uniques.indexOf(value) < 0) {
        uniques.push(value);
      }
    }
  });
  return uniques;
}