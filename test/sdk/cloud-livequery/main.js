// Cloud code for tests/livequery-cloud.test.js: the three LiveQuery
// triggers, each doing what apps use it for.

// Refuse connections from an installation the app has blocked.
Parse.Cloud.beforeConnect((request) => {
  if (request.installationId === 'blocked-device') {
    throw new Parse.Error(Parse.Error.OPERATION_FORBIDDEN, 'this device is blocked');
  }
});

// Subscriptions to Ticket only ever see open tickets.
Parse.Cloud.beforeSubscribe('Ticket', (request) => {
  request.query.equalTo('open', true);
});

// Events carry no internal note, and events of spam are not sent at all.
Parse.Cloud.afterLiveQueryEvent('Ticket', (request) => {
  if (request.object.get('spam')) {
    request.sendEvent = false;
    return;
  }
  request.object.unset('internalNote');
});
