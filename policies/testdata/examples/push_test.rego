package switchboard.push_test

import data.switchboard.push

test_marketing_sends_to_10000 if {
	push.allow with input as {"action": "send", "auth": {"roles": ["role:marketing"]}, "extra": {"audienceSize": 10000}}
}

test_marketing_cannot_send_to_10001 if {
	not push.allow with input as {"action": "send", "auth": {"roles": ["role:marketing"]}, "extra": {"audienceSize": 10001}}
}

test_others_cannot_send if {
	not push.allow with input as {"action": "send", "auth": {"roles": ["role:sales"]}, "extra": {"audienceSize": 1}}
}
