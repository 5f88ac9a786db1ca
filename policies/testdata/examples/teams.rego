# Example 1: members of a team see the team's documents.
#
# A Document has a pointer `team` to a Team. A user is a member of team T
# when they hold the role "team_T" (a Parse role; input.auth.roles holds
# inherited roles too, so a role "team_T" may include other roles).
package switchboard.objects.Document

# The ids of the caller's teams.
my_teams contains team if {
	some role in input.auth.roles
	startswith(role, "role:team_")
	team := trim_prefix(role, "role:team_")
}

reads := {"get", "find", "count", "aggregate"}

# Reads: a filter "team is one of my teams".
allow if {
	input.action in reads
	input.object.team.objectId in my_teams
}

# Members create documents for their own teams only.
allow if {
	input.action == "create"
	input.object.team.objectId in my_teams
}

# An update must keep the document within the caller's teams.
allow if {
	input.action == "update"
	input.original.team.objectId in my_teams
	input.object.team.objectId in my_teams
}

allow if {
	input.action == "delete"
	input.object.team.objectId in my_teams
}
