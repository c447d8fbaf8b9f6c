/* icelab-full: the reference ICE-full agent; see docs/agent-protocol.md. */
#include "agent.h"

int main(int argc, char **argv)
{
	return agent_main(argc, argv, AGENT_FULL);
}
