META
key;value
description;Borgerbudget Juelsminde 2026
country;Denmark
unit;Hedensted
subunit;Juelsminde
instance;juelsminde-2026
num_projects;3
num_votes;4
budget;100000
vote_type;approval
rule;greedy
min_length;1
max_length;2
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
voter_id;vote
1;bypark,multibane
2;lektiecafe
3;bypark,lektiecafe
4;
