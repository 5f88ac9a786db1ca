package config

// validateFeatures checks the sections of the features beyond the data
// API; each section validates itself in its own file.
func (c *Config) validateFeatures() []error {
	var errs []error
	errs = append(errs, c.Files.validate(c)...)
	errs = append(errs, c.FileUpload.validate(c)...)
	errs = append(errs, c.Push.validate(c)...)
	errs = append(errs, c.CloudCode.validate(c)...)
	errs = append(errs, c.Policies.validate(c)...)
	errs = append(errs, c.LiveQuery.validate(c)...)
	errs = append(errs, c.LeanCloud.validate(c)...)
	errs = append(errs, c.Console.validate(c)...)
	errs = append(errs, c.Analytics.validate(c)...)
	errs = append(errs, c.validatePlugins()...)
	errs = append(errs, c.Releases.validate(c)...)
	return errs
}
