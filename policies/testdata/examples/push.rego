# Example 3: push may be sent only by role marketing, to at most 10,000
# devices. The pipeline puts the size of the audience in
# input.extra.audienceSize; the limit is data (limits/push/data.json).
package switchboard.push

allow if {
	input.action == "send"
	"role:marketing" in input.auth.roles
	input.extra.audienceSize <= data.limits.push.maxAudience
}
