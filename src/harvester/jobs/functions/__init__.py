"""The Inngest functions, one module each (what runs, when, with which flow control);
the services they call are the modules of ``harvester.jobs`` itself."""
