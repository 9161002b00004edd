META
key;value
description;Borgerbudget Juelsminde 2026
country;Denmark
unit;Hedensted
subunit;Juelsminde
instance;juelsminde-2026
num_projects;3
num_votes;3
budget;100000
vote_type;cumulative
rule;greedy-points
max_points;10
max_sum_points;10
currency;DKK
language;da
tiebreak;min-cost,max-votes,lot
round;juelsminde-2026
PROJECTS
project_id;cost;name;category
bypark;40000;"Bænke; borde i byparken";fritid-og-faellesskab
lektiecafe;25000;"Lektiecafé ""Viden""";Læring
multibane;60000;Multibane ved skolen;fritid-og-faellesskab
VOTES
voter_id;vote;points
1;multibane,bypark;7,3
2;lektiecafe;10
3;None;None
